// The one place a NodeRegistry is built from the config: Nest injects it (NodesModule); scripts and specs that
// assemble services by hand call nodeRegistryFor.
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { REDIS } from '@doppel/redis';
import { NodeRegistry } from './node-registry';

export function nodeRegistryFor(redis: Redis, config: AppConfig): NodeRegistry {
  return new NodeRegistry(redis, config.redis.prefix, config.worker.heartbeatTtlMs);
}

export const nodeRegistryProvider = { provide: NodeRegistry, useFactory: nodeRegistryFor, inject: [REDIS, APP_CONFIG] };
