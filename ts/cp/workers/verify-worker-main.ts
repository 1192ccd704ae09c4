// The verify thread: runs the artifact poller's verifications (parse,
// canonical form, signature, freshness, schema: 150–250 ms for a
// 10,000-host fleet.resolved and its manifest) off the main thread, which
// serves the mutator and every request meanwhile. Holds the trust the main
// thread started it with and nothing else; answers each request with
// ts/trust's result, or with why it could not verify. Must never answer a
// request it did not verify (an unusable trust.json answers every request
// with an error).
import type { MessagePort } from 'node:worker_threads';
import type { TrustJson } from '../../contracts/index.ts';
import { ok, parseTrustConfig, type VerifyResult } from '../../trust/index.ts';
import { verifyRequest, type VerifyRequest } from './verify-request.ts';

/**
 * What the thread answers (structured clone). A verified artifact comes back
 * without its value: the main thread parses the verified bytes itself,
 * which costs it about half of deserialising the same value from a message.
 */
export type VerifyReply =
  | { readonly id: number; readonly ok: true; readonly result: VerifyResult<null> }
  | { readonly id: number; readonly ok: false; readonly message: string };

/**
 * Serves verification requests `{ id, req }` on `port`.
 *
 * @example runVerifyWorker(parentPort, { trust })
 */
export function runVerifyWorker(
  port: MessagePort | null,
  data: { readonly trust: TrustJson },
): void {
  if (port === null) return;
  const trust = parseTrustConfig(data.trust);
  port.on('message', (m: { readonly id: number; readonly req: VerifyRequest }) => {
    let reply: VerifyReply;
    if (!trust.ok) {
      reply = { id: m.id, ok: false, message: `trust.json refused: ${trust.error.message}` };
    } else {
      try {
        const r = verifyRequest(trust.value, m.req);
        reply = { id: m.id, ok: true, result: r.ok ? ok({ ...r.value, value: null }) : r };
      } catch (e) {
        reply = { id: m.id, ok: false, message: (e as Error).message };
      }
    }
    port.postMessage(reply);
  });
}
