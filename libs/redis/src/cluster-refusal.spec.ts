import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isClusterRefusal, retryClusterRefusals } from './cluster-refusal';

const moved = () => new ReplyError('MOVED 2347 10.77.0.1:17401');
/** What ioredis rejects a MULTI with when Redis discarded it: the refusals of the commands inside are attached. */
function discardedMulti(previous: Error[]): Error {
  return Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: previous });
}

describe('isClusterRefusal', () => {
  it('knows the refusals of a cluster that is moving or electing, and a MULTI discarded because of them', () => {
    for (const message of ['MOVED 2347 10.77.0.1:17401', 'ASK 2347 10.77.0.2:17402', 'TRYAGAIN Multiple keys request during rehashing of slot', 'CLUSTERDOWN The cluster is down']) {
      expect(isClusterRefusal(new ReplyError(message)), message).toBe(true);
    }
    expect(isClusterRefusal(discardedMulti([moved(), moved()]))).toBe(true);
  });

  it('does not take errors of commands that may have run for refusals', () => {
    expect(isClusterRefusal(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isClusterRefusal(new Error('Connection is closed.'))).toBe(false);
    expect(isClusterRefusal(discardedMulti([moved(), new ReplyError('ERR wrong number of arguments')]))).toBe(false);
    expect(isClusterRefusal(discardedMulti([]))).toBe(false);
    expect(isClusterRefusal('MOVED 1 a:1')).toBe(false);
  });
});

describe('retryClusterRefusals', () => {
  it('sends again while refused, then returns what the command answered', async () => {
    let tries = 0;
    const answer = await retryClusterRefusals(
      async () => {
        tries++;
        if (tries < 3) throw moved();
        return 'OK';
      },
      { delayMs: 1, withinMs: 1000 },
    );
    expect({ answer, tries }).toEqual({ answer: 'OK', tries: 3 });
  });

  it('passes any other error on at once', async () => {
    let tries = 0;
    const failing = retryClusterRefusals(
      async () => {
        tries++;
        throw new Error('Connection is closed.');
      },
      { delayMs: 1, withinMs: 1000 },
    );
    await expect(failing).rejects.toThrow('Connection is closed.');
    expect(tries).toBe(1);
  });

  it('gives up with the last refusal once the window has passed', async () => {
    let tries = 0;
    const failing = retryClusterRefusals(
      async () => {
        tries++;
        throw moved();
      },
      { delayMs: 20, withinMs: 70 },
    );
    await expect(failing).rejects.toThrow('MOVED 2347');
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(5);
  });
});
