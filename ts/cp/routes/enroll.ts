// Enrollment routes (RFC-0003 §4.3): `/v1/enroll` turns a bootstrap token
// plus a CSR signed by the host key into a short-lived client certificate;
// `/v1/agent/renew` re-issues for the same key over mTLS;
// `/v1/agent/bootstrap-report` records pre-certificate failures. The token is
// verified by ts/trust (org root key, claims, expiry), its nonce must be in
// the signed bootstrap-nonces allowlist and is burned durably before the
// certificate is issued. The same key presenting it again before its host was
// heard from is a lost-response retry and gets a re-issue
// (runtime/enroll-tokens.ts); anything else is a 409 replay.
import { ownValue } from '../../core/index.ts';
import type { BootstrapReport, EnrollRequest, RenewRequest } from '../../contracts/index.ts';
import {
  bytesEqual,
  parseOpenSshPublicKey,
  verifyBootstrapToken,
  type VerifyError,
} from '../../trust/index.ts';
import {
  clearEnrollRefusal,
  noteEnrollRefusal,
  takeBudget,
  type BudgetState,
} from '../../core/index.ts';
import { CpError } from '../errors.ts';
import { verifyCsr } from '../pki/csr.ts';
import { rawEd25519FromSpki, x509 } from '../pki/x509.ts';
import { claimToken } from '../runtime/enroll-tokens.ts';
import { recordBootstrapReport } from '../runtime/reconcile.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import type { Route } from '../server/types.ts';
import { callerCn } from './agent.ts';

function tokenError(e: VerifyError): CpError {
  const details = { trustCode: e.code, kind: e.kind };
  if (e.kind === 'Expired') return new CpError('CP_ERR_TOKEN_EXPIRED', e.message, details);
  if (e.kind === 'ClaimMismatch') {
    return new CpError('CP_ERR_TOKEN_CLAIM_MISMATCH', e.message, { ...details, claim: e.claim });
  }
  return new CpError('CP_ERR_TOKEN_INVALID', e.message, details);
}

/**
 * Refuses an enrollment claiming `claimed` (the CSR's CN; null before the
 * CSR parsed): counted, logged with the claimed name and kept for the
 * operator's host view (core bounds the book and how often a name is
 * logged). Only a claim from a token the org root key signed is kept: an
 * unsigned or forged one could otherwise paint any host's row.
 */
function refuse(
  rt: CpRuntime,
  e: CpError,
  claimed: string | null,
  options: { readonly signedClaim: boolean } = { signedClaim: true },
): never {
  rt.metrics.enrollRefused.inc({ code: e.code });
  // Not through the mutator: the book is in-memory view state only, never
  // persisted and read by no reducer (see CpState.recordEnrollRefusals).
  const noted = noteEnrollRefusal(rt.state.enrollRefusals, {
    hostname: options.signedClaim ? claimed : null,
    code: e.code,
    message: e.message,
    now: rt.clock.now(),
  });
  rt.state.recordEnrollRefusals(noted.book);
  if (noted.log) {
    rt.log.warn(
      {
        host: claimed === null ? null : claimed.slice(0, 64),
        code: e.code,
        reason: e.message,
        ...(noted.repeats > 0 ? { repeatsSinceLastLine: noted.repeats } : {}),
      },
      'enrollment refused',
    );
  }
  throw e;
}

/**
 * A bootstrap report is stored without a certificate, so it is bounded: not
 * once its token was used or its host was heard from (a host with a
 * certificate reports as events), and at most the per-host budget.
 */
function refuseBootstrapReport(
  rt: CpRuntime,
  budgets: Map<string, BudgetState>,
  hostname: string,
  nonce: string,
): void {
  const reason = rt.state.committed.tokens.has(nonce)
    ? 'token-used'
    : rt.state.committed.liveness.has(hostname)
      ? 'host-enrolled'
      : null;
  if (reason !== null) {
    throw new CpError('CP_ERR_TOKEN_REPLAYED', `bootstrap report refused (${reason})`, { reason });
  }
  const now = rt.clock.now();
  const take = takeBudget(budgets.get(hostname), rt.config.bootstrapReportRate, 1, now);
  if (!take.ok) {
    const secs = Number.isFinite(take.retryAfterMs) ? Math.ceil(take.retryAfterMs / 1000) : 3_600;
    throw new CpError('CP_ERR_RATE_LIMITED', `too many bootstrap reports for ${hostname}`, {
      budget: 'bootstrap-reports',
      retryAfterSecs: Math.max(1, secs),
    });
  }
  budgets.set(hostname, take.state);
}

/** The enrollment routes. */
export function enrollRoutes(rt: CpRuntime): Route[] {
  /** Bootstrap-report budgets per claimed host (only hosts with a validly signed token). */
  const reportBudgets = new Map<string, BudgetState>();
  return [
    {
      method: 'POST',
      path: '/v1/enroll',
      protocol: true,
      contract: 'enroll-request',
      async handle(ctx) {
        const body = ctx.body as EnrollRequest;
        if (rt.ca === null || rt.trust === null) {
          throw new CpError(
            'CP_ERR_ENROLLMENT_DISABLED',
            'enrollment needs the fleet CA and trust.json',
          );
        }
        const now = rt.clock.now();
        const csr = await verifyCsr(body.csrPem).catch((e: unknown) =>
          refuse(rt, e as CpError, null),
        );
        const verified = verifyBootstrapToken(body.token, {
          trust: rt.trust,
          now: new Date(now),
          expectedHostname: csr.commonName,
          expectedPubkeyFingerprint: csr.fingerprint,
        });
        if (!verified.ok) {
          // The signature is checked first: an expired or mismatched token
          // was signed by the org root key, anything else may be forged.
          const kind = verified.error.kind;
          refuse(rt, tokenError(verified.error), csr.commonName, {
            signedClaim: kind === 'Expired' || kind === 'ClaimMismatch',
          });
        }
        const claims = verified.value.token.claims;
        const fleetHosts = rt.state.committed.artifacts.fleet?.value.hosts;
        const declared = (fleetHosts && ownValue(fleetHosts, claims.hostname)?.pubkey) ?? null;
        if (declared !== null) {
          const k = parseOpenSshPublicKey(declared);
          if (!k.ok || !bytesEqual(k.value.raw, csr.publicKeyRaw)) {
            refuse(
              rt,
              new CpError(
                'CP_ERR_KEY_MISMATCH',
                `CSR key is not the declared host key of ${claims.hostname}`,
              ),
              claims.hostname,
            );
          }
        }
        const allow = rt.state.committed.artifacts.nonces;
        const entry = allow?.value.bootstrapNonces.find((n) => n.nonce === claims.nonce);
        if (entry === undefined || entry.hostname !== claims.hostname) {
          refuse(
            rt,
            new CpError(
              'CP_ERR_NONCE_NOT_ALLOWED',
              'token nonce is not in the signed bootstrap-nonces allowlist',
              {
                allowlist: allow === null ? 'unavailable' : 'verified',
              },
            ),
            claims.hostname,
          );
        }
        const expiresAt = Date.parse(entry.expiresAt);
        if (!(expiresAt > now)) {
          refuse(
            rt,
            new CpError('CP_ERR_TOKEN_EXPIRED', `allowlist entry expired at ${entry.expiresAt}`),
            claims.hostname,
          );
        }
        const use = await rt.mutator.submit((b) =>
          claimToken(rt.deps, b, {
            nonce: claims.nonce,
            hostname: claims.hostname,
            fingerprint: csr.fingerprint,
            expiresAt,
            now,
          }),
        );
        if (use.kind === 'replay') {
          refuse(
            rt,
            new CpError('CP_ERR_TOKEN_REPLAYED', `bootstrap token already used (${use.reason})`, {
              reason: use.reason,
              firstUsedAt: new Date(use.firstUsedAt).toISOString(),
            }),
            claims.hostname,
          );
        }
        // A re-issue answers a retry whose first response was lost (see
        // runtime/enroll-tokens.ts); the issuance log says so.
        const via = use.kind === 'reissue' ? 'enroll-reissue' : 'enroll';
        const cert = await rt.ca.issue({
          hostname: claims.hostname,
          publicKeyRaw: csr.publicKeyRaw,
          fingerprint: csr.fingerprint,
          now,
          validityMs: rt.config.certValidityMs,
          via,
          nonce: claims.nonce,
          ...(use.kind === 'reissue' ? { issue: use.issue } : {}),
        });
        rt.metrics.certsIssued.inc({ via });
        rt.state.recordEnrollRefusals(clearEnrollRefusal(rt.state.enrollRefusals, claims.hostname));
        rt.log.info(
          {
            host: claims.hostname,
            serial: cert.serial,
            ...(use.kind === 'reissue' ? { issue: use.issue } : {}),
          },
          use.kind === 'reissue'
            ? 'client certificate re-issued (enroll retry by the same key)'
            : 'client certificate issued (enroll)',
        );
        return {
          status: 200,
          json: { certPem: cert.certPem, notAfter: new Date(cert.notAfter).toISOString() },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/agent/renew',
      protocol: true,
      contract: 'renew-request',
      async handle(ctx) {
        const body = ctx.body as RenewRequest;
        if (rt.ca === null)
          throw new CpError('CP_ERR_ENROLLMENT_DISABLED', 'renewal needs the fleet CA');
        const cn = callerCn(ctx);
        const csr = await verifyCsr(body.csrPem);
        if (csr.commonName !== cn) {
          throw new CpError(
            'CP_ERR_CN_MISMATCH',
            `CSR is for ${csr.commonName}, certificate for ${cn}`,
          );
        }
        const current = new x509.X509Certificate(new Uint8Array(ctx.identity?.raw ?? []));
        const raw = rawEd25519FromSpki(current.publicKey.rawData);
        if (raw === null || !bytesEqual(raw, csr.publicKeyRaw)) {
          throw new CpError(
            'CP_ERR_KEY_MISMATCH',
            'renewal must use the certified host key; a new key re-enrolls',
          );
        }
        const now = rt.clock.now();
        const cert = await rt.ca.issue({
          hostname: cn,
          publicKeyRaw: csr.publicKeyRaw,
          fingerprint: csr.fingerprint,
          now,
          validityMs: rt.config.certValidityMs,
          via: 'renew',
          nonce: null,
        });
        rt.metrics.certsIssued.inc({ via: 'renew' });
        rt.log.info({ host: cn, serial: cert.serial }, 'client certificate issued (renew)');
        return {
          status: 200,
          json: { certPem: cert.certPem, notAfter: new Date(cert.notAfter).toISOString() },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/agent/bootstrap-report',
      protocol: true,
      contract: 'bootstrap-report',
      async handle(ctx) {
        const report = ctx.body as BootstrapReport;
        if (rt.trust === null) throw new CpError('CP_ERR_ENROLLMENT_DISABLED', 'no trust.json');
        if (report.event.kind !== 'TrustError' && report.event.kind !== 'EnrollmentFailed') {
          throw new CpError(
            'CP_ERR_EVENT_NOT_ALLOWED',
            'only TrustError and EnrollmentFailed are accepted',
          );
        }
        const verified = verifyBootstrapToken(report.token, {
          trust: rt.trust,
          now: new Date(rt.clock.now()),
        });
        if (!verified.ok) throw tokenError(verified.error);
        const { hostname, nonce } = verified.value.token.claims;
        refuseBootstrapReport(rt, reportBudgets, hostname, nonce);
        await rt.mutator.submit((b) =>
          recordBootstrapReport(b, { report, hostname, now: rt.clock.now() }),
        );
        rt.log.warn(
          { host: hostname, kind: report.event.kind, code: report.event.code },
          'bootstrap report',
        );
        return { status: 204 };
      },
    },
  ];
}
