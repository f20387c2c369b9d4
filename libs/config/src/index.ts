export { envSchema, type Env } from './config.schema';
export { loadConfig, enabledLogLevels, ConfigValidationError, type AppConfig, type RedisConfig } from './app-config';
export { ConfigModule, APP_CONFIG } from './config.module';
export { exitGracefullyOnSignals } from './graceful-shutdown';
