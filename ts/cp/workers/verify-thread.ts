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
    `the verify thread could not verify: ${message}; nothing was adopted (restart the CP if it persists)`,
    {},
    cause === undefined ? undefined : { cause },
  );

/** Verifies on a worker thread of its own, started at construction. */
export class VerifyThread implements ArtifactVerifier {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(trust: TrustConfig) {
    this.worker = new Worker(new URL('./verify-worker.mjs', import.meta.url), {
      workerData: { trust: trustJsonOf(trust) },
    });
    // Idle between polls: never keeps the process alive on its own.
    this.worker.unref();
    this.worker.on('message', (m: VerifyReply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
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
    const fail = (e: Error): void => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(threadError(e.message, e));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.dead === null) fail(new Error(`verify thread exited (${code})`));
    });
  }

  verify<K extends ArtifactKind>(req: VerifyRequest<K>): Promise<VerifyResult<ArtifactValues[K]>> {
    if (this.dead !== null) return Promise.reject(threadError(this.dead.message, this.dead));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        bytes: req.bytes,
        resolve: resolve as (r: VerifyResult<unknown>) => void,
        reject,
      });
      this.worker.postMessage({ id, req });
    });
  }

  /** Ends the thread; verifications still pending are refused. */
  async close(): Promise<void> {
    if (this.dead !== null) return;
    this.dead = new Error('closed');
    await this.worker.terminate();
    for (const p of this.pending.values()) p.reject(threadError('closed'));
    this.pending.clear();
  }
}
