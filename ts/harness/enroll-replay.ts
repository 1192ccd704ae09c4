// Enroll replay for the harness (scenario enroll-replay): the fault
// `replayEnrollToken` presents a host's bootstrap token a second time, after
// the host's own agent has enrolled with it, with a fresh CSR signed by the
// host's key — the strongest replay, so only the single-use nonce stands
// between it and a certificate (the CP re-issues for the same key only while
// the host was never heard from, i.e. its first response may have been lost;
// this host has converged, so its certificate arrived). It is a direct `POST /v1/enroll` from outside
// the agent (an attacker holding a copy of the token), over the same TLS the
// agents use. The condition `enrollRefused` then judges from outside the CP:
// the replay was answered 409 CP_ERR_TOKEN_REPLAYED without a certificate,
// and the CP's issuance log holds exactly one enrollment certificate for the
// host (its own) and nothing issued for it since the replay.
import { readFileSync } from 'node:fs';
import { createCsr } from '../agent/enroll/csr.ts';
import { loadHostKey } from '../agent/enroll/host-key.ts';
import { H2Client } from '../agent/http/h2-client.ts';

/** What one replayed enrollment got back. */
export interface ReplayOutcome {
  readonly host: string;
  readonly at: number;
  readonly status: number | null;
  readonly code: string | null;
  readonly issuedCertificate: boolean;
  readonly detail: string;
}

/** Presents `tokenFile` again with a fresh CSR on the host key; never throws. */
export async function replayEnrollToken(options: {
  readonly host: string;
  readonly cpUrl: string;
  readonly caCertFile: string;
  readonly tokenFile: string;
  readonly sshKeyFile: string;
}): Promise<ReplayOutcome> {
  const at = Date.now();
  const client = new H2Client({
    origin: options.cpUrl,
    tls: { ca: readFileSync(options.caCertFile, 'utf8'), cert: null, key: null },
    agentVersion: 'harness-replay',
    timeoutMs: 15_000,
  });
  try {
    const token = JSON.parse(readFileSync(options.tokenFile, 'utf8')) as Record<string, unknown>;
    const csrPem = await createCsr(loadHostKey(options.sshKeyFile).key, options.host);
    const res = await client.request({
      method: 'POST',
      path: '/v1/enroll',
      body: { token, csrPem },
    });
    const text = res.body.toString('utf8');
    let body: { error?: { code?: string }; certPem?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON: reported in detail */
    }
    return {
      host: options.host,
      at,
      status: res.status,
      code: body.error?.code ?? null,
      issuedCertificate: typeof body.certPem === 'string',
      detail: typeof body.certPem === 'string' ? 'certificate issued' : text.slice(0, 300),
    };
  } catch (e) {
    return {
      host: options.host,
      at,
      status: null,
      code: null,
      issuedCertificate: false,
      detail: (e as Error).message,
    };
  } finally {
    client.close();
  }
}

interface IssuanceEntry {
  readonly at: string;
  readonly via: string;
  readonly hostname: string;
  readonly serial: string;
  readonly nonce: string | null;
}

/** The CP's append-only issuance log, parsed; a torn or foreign line is an error. */
export function readIssuanceLog(path: string): IssuanceEntry[] | Error {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return new Error(`issuance log ${path} unreadable: ${(e as Error).message}`);
  }
  const out: IssuanceEntry[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as IssuanceEntry);
    } catch {
      return new Error(`issuance log line ${i + 1} is not JSON`);
    }
  }
  return out;
}

/**
 * Condition `enrollRefused`: every host of `hosts` had its token replayed;
 * each replay was answered 409 CP_ERR_TOKEN_REPLAYED with no certificate;
 * the issuance log has exactly one enrollment certificate for the host (its
 * nonce the token's) and nothing issued for the host at or after the replay.
 * No recorded replay is a failure, never a pass.
 */
export function checkEnrollRefused(options: {
  readonly hosts: readonly string[];
  readonly outcomes: ReadonlyMap<string, ReplayOutcome>;
  readonly issuanceLog: string;
  readonly nonceOf: (host: string) => string | undefined;
}): { ok: boolean; detail: string } {
  if (options.hosts.length === 0) return { ok: false, detail: 'enrollRefused names no host' };
  const log = readIssuanceLog(options.issuanceLog);
  if (log instanceof Error) return { ok: false, detail: log.message };
  const bad: string[] = [];
  const good: string[] = [];
  for (const h of options.hosts) {
    const r = options.outcomes.get(h);
    if (!r) {
      bad.push(`${h}: no replayed enrollment recorded (inject replayEnrollToken first)`);
      continue;
    }
    if (r.status !== 409 || r.code !== 'CP_ERR_TOKEN_REPLAYED' || r.issuedCertificate) {
      bad.push(
        `${h}: replayed token answered ${r.status ?? 'no response'} ${r.code ?? ''}${r.issuedCertificate ? ' WITH A CERTIFICATE' : ''} (${r.detail})`,
      );
    }
    const mine = log.filter((e) => e.hostname === h);
    const enrolled = mine.filter((e) => e.via === 'enroll');
    const nonce = options.nonceOf(h);
    // A re-issue (`enroll-reissue`) after the replay is as bad as a new enrollment.
    const sinceReplay = mine.filter((e) => Date.parse(e.at) >= r.at && e.via.startsWith('enroll'));
    if (enrolled.length !== 1 || enrolled[0]!.nonce !== nonce || sinceReplay.length > 0) {
      bad.push(
        `${h}: issuance log has ${enrolled.length} enrollment certificate(s) (serials ${enrolled.map((e) => e.serial).join(', ') || 'none'}), ${sinceReplay.length} at or after the replay; want exactly one, the host's own, issued before`,
      );
    } else good.push(`${h}: 409 ${r.code}, one certificate (serial ${enrolled[0]!.serial})`);
  }
  return bad.length === 0
    ? { ok: true, detail: good.join('; ') }
    : { ok: false, detail: bad.join('; ') };
}
