// An operator's reading of a failed connection to the control plane: Node's
// transport errors ("The pending stream has been canceled (caused by:
// connect ECONNREFUSED …)") become "connection refused", "host name not
// found", "TLS failed: …". Pure: walks the error's cause chain, no I/O.

/** What went wrong, in words, and what to check next. */
export interface TransportReason {
  readonly why: string;
  readonly hint: string;
}

const NETWORK: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};

const RUNNING_HINT = 'is the control plane running, and is cp_url right? (`nixfleet config show`)';
const TLS_HINT =
  'ca_cert must be the fleet CA that signed the CP certificate, and client_cert/client_key an operator certificate from it (`nixfleet mint-operator-cert`)';
const TLS_RE = /certificate|self.signed|unable to verify|alert|handshake|SSL|TLS|CERT/i;

/**
 * Names the first recognisable cause of a transport failure.
 *
 * @example transportReason(streamCanceledError).why // 'connection refused'
 */
export function transportReason(e: unknown): TransportReason {
  const chain = causes(e);
  for (const c of chain) {
    const phrase = NETWORK[c.code ?? ''];
    if (phrase !== undefined) return { why: phrase, hint: RUNNING_HINT };
  }
  // Innermost first: the outer errors only wrap the socket's own message.
  for (const c of [...chain].reverse()) {
    if (TLS_RE.test(`${c.code ?? ''} ${c.message}`)) {
      return { why: `TLS failed: ${c.message}`, hint: TLS_HINT };
    }
  }
  const last = chain.at(-1);
  return {
    why: last?.message ?? String(e),
    hint: 'check that the control plane is up and reachable from here',
  };
}

function causes(e: unknown): { code?: string; message: string }[] {
  const out: { code?: string; message: string }[] = [];
  let cur: unknown = e;
  // A cause chain is short; the bound only guards against a cycle.
  for (let i = 0; i < 8 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    out.push(typeof code === 'string' ? { code, message: cur.message } : { message: cur.message });
    cur = cur.cause;
  }
  return out;
}
