// A small pool of worker threads that each own a copy of one model, with request/response routing by id.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface ThreadMessage {
  type: string;
  requestId?: number;
  message?: string;
  [key: string]: unknown;
}

type Listener = (message: ThreadMessage) => void;

/** The thread scripts are plain CommonJS files beside this lib; found from the bundle or from the sources. */
export function threadScriptPath(fileName: string): string {
  let folder = __dirname;
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(folder, 'libs', 'inference', 'threads', fileName);
    if (existsSync(candidate)) return candidate;
    const sibling = join(folder, '..', 'threads', fileName);
    if (existsSync(sibling)) return resolve(sibling);
    folder = dirname(folder);
  }
  throw new Error(`model thread script ${fileName} not found near ${__dirname}`);
}

class ModelThread {
  readonly listeners = new Map<number, Listener>();
  inFlight = 0;
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (message: ThreadMessage) => {
      if (message.requestId !== undefined) this.listeners.get(message.requestId)?.(message);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`model thread exited with code ${code}`)));
  }

  get broken(): Error | null {
    return this.failure;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const listener of this.listeners.values()) listener({ type: 'error', message: error.message });
    this.listeners.clear();
  }
}

export class ModelThreadPool {
  private nextRequestId = 1;

  private constructor(private readonly threads: ModelThread[]) {}

  /** Starts `size` threads and waits until each has loaded its model (or fails with the first load error). */
  static async start(script: string, size: number, workerData: Record<string, unknown>): Promise<ModelThreadPool> {
    const workers = Array.from({ length: size }, () => new Worker(threadScriptPath(script), { workerData }));
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolveReady, rejectReady) => {
              const onMessage = (message: ThreadMessage) => {
                if (message.type === 'ready') resolveReady();
                else if (message.type === 'load-error') rejectReady(new Error(message.message));
                else return;
                worker.off('message', onMessage);
              };
              worker.on('message', onMessage);
              worker.once('error', rejectReady);
              worker.once('exit', (code) => rejectReady(new Error(`model thread exited with code ${code} while loading`)));
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new ModelThreadPool(workers.map((worker) => new ModelThread(worker)));
  }

  /** Sends a request to the least busy healthy thread; `onMessage` gets every reply until `release()` is called. */
  request(payload: Record<string, unknown>, onMessage: Listener): { release: () => void } {
    const healthy = this.threads.filter((thread) => !thread.broken);
    if (healthy.length === 0) throw new Error(`every model thread has failed: ${this.threads[0]?.broken?.message}`);
    const thread = healthy.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const requestId = this.nextRequestId++;
    thread.inFlight++;
    thread.listeners.set(requestId, onMessage);
    thread.worker.postMessage({ ...payload, requestId });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        thread.inFlight--;
        thread.listeners.delete(requestId);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }
}
