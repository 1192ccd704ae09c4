// Where the artifact poller's verifications run. Verifying a 10,000-host
// release (parse, canonical form, signature, freshness, schema) takes
// 150–250 ms of CPU in one synchronous call per artifact; on the main thread
// that blocks the mutator and every request for as long
// (docs/design/release-adoption.md, "Verification off the main thread").
// The CP verifies on a worker thread (verify-worker-main.ts); tests and
// tools may verify inline. Both run `verifyRequest`, so the decision is the
// same. Fails closed: a verification the thread cannot answer (the thread
// died, the trust it was given is refused) rejects with
// CP_ERR_VERIFY_THREAD, which the poller records as a refusal, never as a
// pass.
import { Worker } from 'node:worker_threads';
import { ok, parseJsonBytes, type TrustConfig, type VerifyResult } from '../../trust/index.ts';
import { CpError } from '../errors.ts';
import {
  trustJsonOf,
  verifyRequest,
  type ArtifactKind,
  type ArtifactValues,
  type VerifyRequest,
} from './verify-request.ts';
import type { VerifyReply } from './verify-worker-main.ts';

/** Runs verifications; a rejection (CP_ERR_VERIFY_THREAD) means "not verified". */
export interface ArtifactVerifier {
  verify<K extends ArtifactKind>(req: VerifyRequest<K>): Promise<VerifyResult<ArtifactValues[K]>>;
  close(): Promise<void>;
}

/** Verifies on the calling thread. */
export function inlineVerifier(trust: TrustConfig): ArtifactVerifier {
  return {
    verify: (req) => Promise.resolve(verifyRequest(trust, req)),
    close: () => Promise.resolve(),
  };
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly resolve: (r: VerifyResult<unknown>) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The verified value: the verifier's own parse of the same bytes
 * (`parseJsonBytes`; schema validation does not change the value).
 */
function withValue(r: VerifyResult<null>, bytes: Uint8Array): VerifyResult<unknown> {
  if (!r.ok) return r;
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok) throw threadError(`verified bytes do not parse: ${parsed.error.message}`);
  return ok({ ...r.value, value: parsed.value.value });
}

const threadError = (message: string, cause?: unknown): CpError =>
  new CpError(
    'CP_ERR_VERIFY_THREAD',
    `the verify thread could not verify: ${message}; nothing was adopted (the next poll starts a new thread; the log says why it ended)`,
    {},
    cause === undefined ? undefined : { cause },
  );

/** How long the thread lives without a verification (ms): polls of unchanged bytes verify nothing. */
export const VERIFY_THREAD_IDLE_MS = 30_000;

/**
 * Verifies on a worker thread of its own, started at the first verification
 * and ended once idle (a release changes rarely; an idle isolate would only
 * hold memory). A thread that dies fails what it had pending and the next
 * verification starts a new one.
 */
export class VerifyThread implements ArtifactVerifier {
  private worker: Worker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly trust: TrustConfig,
    private readonly idleMs = VERIFY_THREAD_IDLE_MS,
  ) {}

  private start(): Worker {
    const w = new Worker(new URL('./verify-worker.mjs', import.meta.url), {
      workerData: { trust: trustJsonOf(this.trust) },
    });
    // Never keeps the process alive on its own.
    w.unref();
    w.on('message', (m: VerifyReply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.armIdle();
      if (!m.ok) {
        p.reject(threadError(m.message));
        return;
      }
      try {
        p.resolve(withValue(m.result, p.bytes));
      } catch (e) {
        p.reject(e);
      }
    });
    const gone = (e: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(threadError(e.message, e));
      this.pending.clear();
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`verify thread exited (${code})`)));
    return w;
  }

  private armIdle(): void {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.idle = null;
      const w = this.worker;
      if (w === null || this.pending.size > 0) return;
      this.worker = null;
      void w.terminate();
    }, this.idleMs);
    this.idle.unref();
  }

  /** Whether a thread is running (started, not yet idle or dead). */
  running(): boolean {
    return this.worker !== null;
  }

  verify<K extends ArtifactKind>(req: VerifyRequest<K>): Promise<VerifyResult<ArtifactValues[K]>> {
    if (this.closed) return Promise.reject(threadError('closed'));
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        bytes: req.bytes,
        resolve: resolve as (r: VerifyResult<unknown>) => void,
        reject,
      });
      w.postMessage({ id, req });
    });
  }

  /** Ends the thread for good; verifications still pending, and any later, are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idle !== null) clearTimeout(this.idle);
    const w = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(threadError('closed'));
    this.pending.clear();
    await w?.terminate();
  }
}
