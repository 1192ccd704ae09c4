// Main-thread side of the SQLite commit thread (commit-worker.mjs): starts
// the worker, sends one batch of statements at a time and resolves when the
// worker's transaction is durable. Why a thread: with synchronous=FULL every
// group commit waits for an fsync (measured ~2 ms mean, tens of ms under
// disk contention); on the main thread that wait blocks TLS handshakes,
// HTTP/2 framing and every other request. Must never have two batches in
// flight (the mutator awaits each commit) and must fail every pending commit
// if the worker dies.
import { Worker } from 'node:worker_threads';
import { CpError } from '../errors.ts';
import type { Statement } from './sqlite-ops.ts';

interface Pending {
  readonly resolve: (seqs: ReadonlyMap<number, number>) => void;
  readonly reject: (e: unknown) => void;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly seqs: readonly [number, number][] }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** A worker thread owning one write connection to the database. */
export class CommitThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(path: string, sql: Readonly<Record<string, string>>) {
    this.worker = new Worker(new URL('./commit-worker.mjs', import.meta.url), {
      workerData: { path, sql },
    });
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(new Map(m.seqs));
      else p.reject(new CpError('CP_ERR_STORAGE', `commit failed: ${m.message}`));
    });
    const fail = (e: Error): void => {
      this.dead = e;
      for (const p of this.pending.values())
        p.reject(new CpError('CP_ERR_STORAGE', `commit thread: ${e.message}`, {}, { cause: e }));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.dead === null) fail(new Error(`commit thread exited (${code})`));
    });
  }

  /** Runs the statements in one durable transaction; resolves with event seqs by local id. */
  commit(ops: readonly Statement[]): Promise<ReadonlyMap<number, number>> {
    if (this.dead !== null) {
      return Promise.reject(
        new CpError(
          'CP_ERR_STORAGE',
          `commit thread: ${this.dead.message}`,
          {},
          { cause: this.dead },
        ),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ops });
    });
  }

  /** Closes the worker's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.dead !== null) return;
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => {
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
    });
    this.worker.postMessage({ id, close: true });
    await done;
    this.dead = new Error('closed');
    await this.worker.terminate();
  }
}
