// Every queue and job the runtime knows, in one place: producers and consumers both type against this.
import type { Job } from 'bullmq';

/** Queue families. Turns have one queue per chat model (see turnQueueName), so only nodes serving it consume. */
export enum QueueName {
  Turns = 'turns',
}

/** The queue of one chat model's turns. BullMQ forbids ':' in names; model ids never contain it. */
export function turnQueueName(modelId: string): string {
  return `${QueueName.Turns}-${modelId}`;
}

export enum JobName {
  /** Produce the assistant reply for one accepted turn. */
  Turn = 'turn',
}

export interface JobPayloads {
  [JobName.Turn]: { turnId: string; conversationId: string };
}

/** The queue each job goes to. */
export const QUEUE_OF_JOB = {
  [JobName.Turn]: QueueName.Turns,
} as const satisfies Record<JobName, QueueName>;

export type JobOf<Name extends JobName> = Job<JobPayloads[Name], void, Name>;

/** A consumer's handlers: the Record type makes a missing handler a compile error; assertHandlesEveryJob checks at runtime too. */
export type JobHandlers<Queue extends QueueName> = {
  [Name in JobName as (typeof QUEUE_OF_JOB)[Name] extends Queue ? Name : never]: (job: JobOf<Name>) => Promise<void>;
};

export function assertHandlesEveryJob(queue: QueueName, handlers: Partial<Record<JobName, unknown>>): void {
  const expected = (Object.keys(QUEUE_OF_JOB) as JobName[]).filter((name) => (QUEUE_OF_JOB[name] as QueueName) === queue);
  const missing = expected.filter((name) => typeof handlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`queue ${queue} has no handler for job(s): ${missing.join(', ')}`);
}

/** BullMQ job id of a turn: the turn id itself, so queueing a turn twice is a no-op. */
export const turnJobId = (turnId: string): string => `turn-${turnId}`;
