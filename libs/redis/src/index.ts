export { createRedis, bullConnectionOptions } from './create-redis';
export { RedisModule, REDIS } from './redis.module';
