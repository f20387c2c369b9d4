export { createRedis, isCluster, bullConnection, bullConnectionOptions, unixSocketOf, type BullConnection, type RedisConnectOptions } from './create-redis';
export { FAILOVER_RETRY, isClusterRefusal, retryClusterRefusals, type RefusalRetry } from './cluster-refusal';
export { RedisModule, REDIS } from './redis.module';
export {
  bullPrefix,
  TURN_STREAM_GROUPS,
  turnStreamGroup,
  turnStreamKey,
  turnStreamWakeKey,
  reexecResultKey,
  nodesIndexKey,
  nodeKey,
  rateWindowKey,
  accountSocketsKey,
  keyRevocationChannel,
  ohttpSeenKey,
  walletChallengeKey,
} from './redis-keys';
