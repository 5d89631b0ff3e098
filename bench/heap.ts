/**
 * The JavaScript heap of a whole server process, worker threads included. `process.memoryUsage()`
 * reports only the calling thread's V8 isolate: once the embedded database runs in a
 * `worker_threads` worker, its documents live in another isolate and a main-thread figure would
 * leave them out. The inspector reaches every isolate: the main thread's own session forces a
 * GC and reads the heap through `HeapProfiler`/`Runtime`, and the `NodeWorker` domain forwards
 * the same two commands to each worker. Nothing in the application has to cooperate.
 */
import { Session } from 'node:inspector/promises';

/** Heap in use after a forced full GC, per isolate, in bytes. */
export interface HeapUsage {
  mainBytes: number;
  /** One entry per worker thread alive at the time (empty when the database is on the main thread). */
  workerBytes: number[];
  totalBytes: number;
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message?: string };
}

/** Forwards inspector commands to the workers' isolates over one main-thread session. */
class WorkerChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly sessions: string[] = [];

  constructor(private readonly session: Session) {
    session.on('NodeWorker.attachedToWorker', (message: { params: { sessionId: string } }) => {
      this.sessions.push(message.params.sessionId);
    });
    session.on('NodeWorker.receivedMessageFromWorker', (message: { params: { message: string } }) => {
      const reply = JSON.parse(message.params.message) as Reply;
      const pending = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!pending || reply.id === undefined) return;
      this.pending.delete(reply.id);
      if (reply.error) pending.reject(new Error(reply.error.message ?? 'inspector error'));
      else pending.resolve(reply.result);
    });
  }

  call<T>(sessionId: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} in a worker: no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  }
}

/** Forces a full GC in every isolate of this process, then reads each one's used heap. */
export async function heapAfterGc(): Promise<HeapUsage> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.collectGarbage');
    const main = (await session.post('Runtime.getHeapUsage')) as unknown as { usedSize: number };
    const channel = new WorkerChannel(session);
    // attachedToWorker arrives for every existing worker before enable's reply.
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const workerBytes: number[] = [];
    try {
      for (const sessionId of channel.sessions) {
        await channel.call(sessionId, 'HeapProfiler.enable');
        await channel.call(sessionId, 'HeapProfiler.collectGarbage');
        const usage = await channel.call<{ usedSize: number }>(sessionId, 'Runtime.getHeapUsage');
        workerBytes.push(usage.usedSize);
        await channel.call(sessionId, 'HeapProfiler.disable');
      }
    } finally {
      await session.post('NodeWorker.disable');
    }
    await session.post('HeapProfiler.disable');
    return { mainBytes: main.usedSize, workerBytes, totalBytes: main.usedSize + workerBytes.reduce((a, b) => a + b, 0) };
  } finally {
    session.disconnect();
  }
}
