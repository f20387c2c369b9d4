export { turnStreamKey, isTerminal, replyStartedOver, type TurnStreamEvent } from './turn-stream-events';
export { ChunkCoalescer } from './chunk-coalescer';
export { TERMINAL_REPLICA_WAIT_MS, TurnStreamPublisher, TurnStreamPublishers } from './turn-stream-publisher';
export { StreamingModule } from './streaming.module';
export { JOIN_WITHIN_MS, TurnStreamReader } from './turn-stream-reader';
export { TurnStreamGapRepair, type ResumePoint, type TurnStreamGap } from './turn-stream-gap-repair';
