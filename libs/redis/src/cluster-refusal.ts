// On a Redis Cluster a node refuses a command for a slot it does not serve (MOVED, ASK) or cannot serve yet (TRYAGAIN,
// CLUSTERDOWN while a failover is under way). A refused command did not run, so sending it again is always safe.
// ioredis follows refusals of single commands, but not inside a pipeline or MULTI unless every command in it was
// refused the same way: a caller of those gets the raw error. This sends such a batch again until the cluster settles.

const REFUSALS = ['MOVED ', 'ASK ', 'TRYAGAIN', 'CLUSTERDOWN'];

/** Whether Redis refused the command (or, for a MULTI that was discarded, a command inside it) without running it. */
export function isClusterRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (REFUSALS.some((refusal) => error.message.startsWith(refusal))) return true;
  const previous = (error as Error & { previousErrors?: unknown[] }).previousErrors;
  return Array.isArray(previous) && previous.length > 0 && previous.every(isClusterRefusal);
}

export interface RefusalRetry {
  /** Between two tries. */
  delayMs: number;
  /** No new try starts after this long; a failover takes cluster-node-timeout plus an election. */
  withinMs: number;
}

/** Long enough for a failover with the default cluster-node-timeout of a few seconds. */
export const FAILOVER_RETRY: RefusalRetry = { delayMs: 200, withinMs: 6000 };

/** Runs `send` again while it fails with a cluster refusal, for up to `withinMs`; any other error at once. */
export async function retryClusterRefusals<T>(send: () => Promise<T>, retry: RefusalRetry = FAILOVER_RETRY): Promise<T> {
  const giveUpAt = Date.now() + retry.withinMs;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (!isClusterRefusal(error) || Date.now() + retry.delayMs > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, retry.delayMs));
    }
  }
}
