export { turnStreamKey, isTerminal, type TurnStreamEvent } from './turn-stream-events';
export { ChunkCoalescer } from './chunk-coalescer';
export { TurnStreamPublisher, TurnStreamPublishers } from './turn-stream-publisher';
export { StreamingModule } from './streaming.module';
export { TurnStreamReader } from './turn-stream-reader';
