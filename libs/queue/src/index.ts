export * from './queue-contracts';
export { ProducerQueues, ProducerQueuesModule, type ProducerQueue } from './producer-queues';
