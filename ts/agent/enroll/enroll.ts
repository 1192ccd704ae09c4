// Enrollment and renewal (RFC-0003 §2, §4.3). Owns: enrolling with the
// bootstrap token when no client certificate exists (retrying the CP's
// cold-start 503 and network failures with backoff instead of crash-
// looping), reporting pre-cert failures on /v1/agent/bootstrap-report, and
// renewing at 50% of the certificate's lifetime. Must never put the host key
// on the wire: only the CSR (its public half) leaves the host.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { CertificateResponse } from '../../contracts/index.ts';
import { toRfc3339 } from '../../core/index.ts';
import type { Clock } from '../clock.ts';
import { AgentError, isAgentError } from '../errors.ts';
import type { CpApi } from '../http/cp-api.ts';
import { backoffDelay } from '../queue/backoff.ts';
import { writeFileAtomic } from '../state/atomic-file.ts';
import { certificateInfo, readCertificate } from './certificate.ts';
import { createCsr } from './csr.ts';
import type { HostKey } from './host-key.ts';
import { enrollFix } from './refusal-fix.ts';

/** Options shared by enrollment and renewal. */
export interface EnrollOptions {
  readonly hostname: string;
  readonly hostKey: HostKey;
  readonly certPath: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly agentVersion: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly signal: AbortSignal;
}

/** Longest wait between two enrollment attempts (at most --backoff-max). */
export const ENROLL_RETRY_MAX_MS = 10_000;

function retryable(e: unknown): boolean {
  if (isAgentError(e, 'AGENT_ERR_CP_UNREACHABLE')) return true;
  if (isAgentError(e, 'AGENT_ERR_CP_STATUS')) {
    const status = Number(e.context['status']);
    return status >= 500 || status === 429;
  }
  return false;
}

function saveCertificate(path: string, res: CertificateResponse): void {
  try {
    certificateInfo(res.certPem);
  } catch (e) {
    throw new AgentError('AGENT_ERR_ENROLL', 'the CP returned an unparseable certificate', {
      cause: e,
    });
  }
  writeFileAtomic(path, res.certPem, { mode: 0o644 });
}

/**
 * Makes sure a usable client certificate exists, enrolling with the
 * bootstrap token when it does not. Retries until it succeeds or `signal`
 * aborts (then throws AGENT_ERR_ENROLL).
 */
export async function ensureEnrolled(
  options: EnrollOptions & {
    readonly bootstrapTokenFile: string | null;
    /** An API client without a client certificate. */
    readonly api: CpApi;
  },
): Promise<void> {
  const { clock, log } = options;
  const existing = readCertificate(options.certPath);
  if (existing && existing.notAfter > clock.now()) return;
  if (options.bootstrapTokenFile === null) {
    throw new AgentError(
      'AGENT_ERR_ENROLL',
      `no valid client certificate at ${options.certPath} and no --bootstrap-token-file to enroll with`,
    );
  }
  let token: Record<string, unknown>;
  try {
    token = JSON.parse(readFileSync(options.bootstrapTokenFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AgentError('AGENT_ERR_ENROLL', `cannot read bootstrap token`, { cause: e });
  }
  let attempt = 0;
  let reported: string | null = null;
  while (!options.signal.aborted) {
    try {
      const csrPem = await createCsr(options.hostKey.key, options.hostname);
      const res = await options.api.enroll({ token, csrPem }, options.signal);
      saveCertificate(options.certPath, res);
      log.info({ notAfter: res.notAfter }, 'enrolled');
      return;
    } catch (e) {
      // Capped lower than other retries: a new host usually boots before the
      // CP adopts the release naming its nonce, and must enroll within
      // seconds of it (docs/operators.md, "Adding a host"). One small
      // request per host every 10 s is no load.
      const delay = backoffDelay(attempt++, {
        baseMs: options.backoffBaseMs,
        maxMs: Math.min(options.backoffMaxMs, ENROLL_RETRY_MAX_MS),
      });
      const code = isAgentError(e) ? e.code : 'AGENT_ERR_ENROLL';
      if (retryable(e)) {
        log.warn(
          { err: e, code, retryInMs: delay },
          'enrollment: control plane not ready; retrying',
        );
      } else {
        // Refusals need an operator (a token, a release): the line says
        // which, and the retries back off up to --backoff-max meanwhile.
        const cpCode = isAgentError(e) ? ((e.context['cpCode'] as string | null) ?? null) : null;
        const fix = enrollFix(cpCode, options.hostname);
        log.error({ err: e, code, cpCode, fix, retryInMs: delay }, 'enrollment refused');
        const message = (e as Error).message;
        if (reported !== message) {
          reported = message;
          await options.api
            .bootstrapReport(
              {
                token,
                agentVersion: options.agentVersion,
                occurredAt: toRfc3339(clock.now()),
                event: { kind: 'EnrollmentFailed', code, message: message.slice(0, 500) },
              },
              options.signal,
            )
            .catch((re: unknown) => log.warn({ err: re }, 'bootstrap report failed'));
        }
      }
      await clock.sleep(delay, options.signal);
    }
  }
  throw new AgentError('AGENT_ERR_ENROLL', 'enrollment aborted');
}

/**
 * The renew worker: sleeps until 50% of the certificate's lifetime, renews
 * over mTLS, writes the new certificate and hands it to `onRenewed`.
 */
export async function runRenewal(
  options: EnrollOptions & {
    readonly api: CpApi;
    readonly onRenewed: (certPem: string) => void;
  },
): Promise<void> {
  const { clock, log, signal } = options;
  let attempt = 0;
  while (!signal.aborted) {
    const info = readCertificate(options.certPath);
    if (info === null) {
      log.error({ code: 'AGENT_ERR_TLS', path: options.certPath }, 'client certificate unreadable');
      await clock.sleep(options.backoffMaxMs, signal);
      continue;
    }
    const wait = info.renewAt - clock.now();
    if (wait > 0) {
      await clock.sleep(Math.min(wait, 2_147_000_000), signal);
      continue;
    }
    try {
      const csrPem = await createCsr(options.hostKey.key, options.hostname);
      const res = await options.api.renew({ csrPem }, signal);
      saveCertificate(options.certPath, res);
      options.onRenewed(res.certPem);
      attempt = 0;
      log.info({ notAfter: res.notAfter }, 'client certificate renewed');
      const renewed = certificateInfo(res.certPem);
      if (renewed.renewAt <= clock.now()) {
        // A certificate that is already half-spent (CP clock behind ours, or
        // a very short lifetime) must not turn renewal into a tight loop.
        log.warn(
          { code: 'AGENT_ERR_ENROLL', notBefore: toRfc3339(renewed.notBefore) },
          'renewed certificate is already due for renewal; check the clocks',
        );
        await clock.sleep(options.backoffMaxMs, signal);
      }
    } catch (e) {
      const delay = backoffDelay(attempt++, {
        baseMs: options.backoffBaseMs,
        maxMs: options.backoffMaxMs,
      });
      log.warn({ err: e, code: 'AGENT_ERR_ENROLL', retryInMs: delay }, 'renewal failed');
      await clock.sleep(delay, signal);
    }
  }
}
