import { describe, expect, it } from 'vitest';
import { assertHandlesEveryJob, JobName, QUEUE_OF_JOB, QueueName } from './queue-contracts';

describe('assertHandlesEveryJob', () => {
  it('passes when every job of the queue has a handler', () => {
    expect(() => assertHandlesEveryJob(QueueName.Turns, { [JobName.Turn]: async () => {} })).not.toThrow();
  });

  it('names the queue and the job that has no handler', () => {
    expect(() => assertHandlesEveryJob(QueueName.Turns, {})).toThrow(new RegExp(`${QueueName.Turns}.*${JobName.Turn}`));
  });

  it('does not count a value that is not a function as a handler', () => {
    expect(() => assertHandlesEveryJob(QueueName.Turns, { [JobName.Turn]: 'handleTurn' })).toThrow(JobName.Turn);
  });

  it('expects a handler for every job routed to the queue', () => {
    const turnJobs = (Object.keys(QUEUE_OF_JOB) as JobName[]).filter((name) => QUEUE_OF_JOB[name] === QueueName.Turns);
    expect(turnJobs).toContain(JobName.Turn);
    const allHandlers = Object.fromEntries(turnJobs.map((name) => [name, async () => {}]));
    expect(() => assertHandlesEveryJob(QueueName.Turns, allHandlers)).not.toThrow();
    for (const name of turnJobs) {
      const { [name]: _dropped, ...withoutOne } = allHandlers;
      expect(() => assertHandlesEveryJob(QueueName.Turns, withoutOne)).toThrow(name);
    }
  });
});
