// Every queue and job the runtime knows, in one place: producers and consumers both type against this.
import type { Job, JobsOptions } from 'bullmq';

/** Queue families. Turns have one queue per chat model (see turnQueueName), so only nodes serving it consume. */
export enum QueueName {
  Turns = 'turns',
  /** One queue per node: work addressed to that node alone (re-executing another node's turn). */
  Nodes = 'node',
  /** One queue per embedding model: knowledge documents to chunk and embed, for nodes that load that model. */
  Knowledge = 'knowledge',
}

/** The queue of documents to embed with one embedding model. */
export function knowledgeQueueName(embeddingModelId: string): string {
  return `${QueueName.Knowledge}-${embeddingModelId}`;
}

export function nodeQueueName(nodeId: string): string {
  return `${QueueName.Nodes}-${nodeId}`;
}

/** The queue of one chat model's turns. BullMQ forbids ':' in names; model ids never contain it. */
export function turnQueueName(modelId: string): string {
  return `${QueueName.Turns}-${modelId}`;
}

export enum JobName {
  /** Produce the assistant reply for one accepted turn. */
  Turn = 'turn',
  /** Re-run another node's inference and report (and, when it matches, sign) what came out. */
  Reexec = 'reexec',
  /** Chunk and embed one revision of a knowledge document, then swap its chunks in. */
  IndexKnowledge = 'index-knowledge',
}

export interface ReexecJob {
  turnId: string;
  modelId: string;
  modelHash: string;
  prompt: { messages: { role: 'system' | 'user' | 'assistant'; content: string }[] };
  params: { maxTokens: number; temperature: number; topP: number; topK: number; repetitionPenalty: number; stop: string[]; seed: number };
  /** The serving node's address: the checking node must be another one. */
  servingNode: string;
  kind: 'requested' | 'spot_check';
  /** requested: Redis list the serving node waits on. spot_check: the hashes to compare with, recorded by the checker. */
  resultKey?: string;
  expected?: { inputHash: string; outputHash: string };
}

export interface JobPayloads {
  /** `text`: the user's new message when the turn sends one, so the node can embed it before its claim. */
  [JobName.Turn]: { turnId: string; conversationId: string; text?: string };
  [JobName.Reexec]: ReexecJob;
  [JobName.IndexKnowledge]: { documentId: string; revision: number };
}

/** The queue each job goes to. */
export const QUEUE_OF_JOB = {
  [JobName.Turn]: QueueName.Turns,
  [JobName.Reexec]: QueueName.Nodes,
  [JobName.IndexKnowledge]: QueueName.Knowledge,
} as const satisfies Record<JobName, QueueName>;

/**
 * How BullMQ retries and keeps each job; a producer adds only the job's id (and, for turns, the configured attempts).
 * The rows each job works on are the record, so a finished job is only Redis memory and trimming work.
 */
export const JOB_OPTIONS = {
  [JobName.Turn]: {
    backoff: { type: 'exponential', delay: 500 },
    // (A later add with the same job id runs a claim that finds the turn finished and republishes its done.)
    removeOnComplete: true,
    // Failed for good too: the job carries the user's text, which must not outlive the conversation's deletion in
    // Redis; the turn row keeps the error and the worker's log the cause.
    removeOnFail: true,
  },
  [JobName.Reexec]: { attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } },
  [JobName.IndexKnowledge]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600 },
  },
} as const satisfies Record<JobName, JobsOptions>;

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

/** One job per document revision, so an upload queued twice is indexed once. */
export const knowledgeJobId = (documentId: string, revision: number): string => `knowledge-${documentId}-r${revision}`;
