export { turnStreamKey, isTerminal, type TurnStreamEvent } from './turn-stream-events';
export { ChunkCoalescer } from './chunk-coalescer';
export { TurnStreamPublisher } from './turn-stream-publisher';
export { TurnStreamReader } from './turn-stream-reader';
