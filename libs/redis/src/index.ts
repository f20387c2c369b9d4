export { createRedis, bullConnectionOptions } from './create-redis';
export { RedisModule, REDIS } from './redis.module';
export { bullPrefix, turnStreamKey, reexecResultKey, nodesIndexKey, nodeKey, ohttpSeenKey } from './redis-keys';
