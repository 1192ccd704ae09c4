// A new host boots before the CP has adopted the release that lists its
// nonce: its enrollment is refused until then. The retries back off, but
// never wait longer than ENROLL_RETRY_MAX_MS between attempts, whatever
// --backoff-max says (docs/operators.md, "Adding a host").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../log/log.ts';
import { AgentError } from '../errors.ts';
import type { CpApi } from '../http/cp-api.ts';
import { ENROLL_RETRY_MAX_MS, ensureEnrolled } from './enroll.ts';
import { loadHostKey } from './host-key.ts';

const KEY = join(import.meta.dirname, '..', '..', '..', 'tests', 'fixtures', 'trust', 'keys');

describe('enrollment retries', () => {
  it('a refused enrollment is retried at most every 10 s with the default --backoff-max (300 s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nixfleet-enroll-retry-'));
    const tokenFile = join(dir, 'token.json');
    writeFileSync(tokenFile, '{}');
    const stop = new AbortController();
    const sleeps: number[] = [];
    let t = 0;
    const api = {
      enroll: () =>
        Promise.reject(
          new AgentError('AGENT_ERR_CP_STATUS', '/v1/enroll: HTTP 403', {
            context: { status: 403, cpCode: 'CP_ERR_NONCE_UNKNOWN' },
          }),
        ),
      bootstrapReport: () => Promise.resolve(),
    } as unknown as CpApi;
    const done = ensureEnrolled({
      hostname: 'agent-17',
      hostKey: loadHostKey(join(KEY, 'host-00042_ed25519_key')),
      certPath: join(dir, 'client.crt'),
      clock: {
        now: () => t,
        sleep: (ms) => {
          sleeps.push(ms);
          t += ms;
          if (sleeps.length === 12) stop.abort();
          return Promise.resolve();
        },
      },
      log: silentLogger(),
      agentVersion: 'test',
      backoffBaseMs: 1_000,
      backoffMaxMs: 300_000,
      signal: stop.signal,
      bootstrapTokenFile: tokenFile,
      api,
    });
    await expect(done).rejects.toThrow('enrollment aborted');
    expect(sleeps).toHaveLength(12);
    // Still backing off at first (a fleet does not retry in step)…
    expect(sleeps[0]).toBeLessThanOrEqual(1_000);
    // …and never waiting past the cap: the host enrolls within 10 s of the adoption.
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(ENROLL_RETRY_MAX_MS);
    expect(ENROLL_RETRY_MAX_MS).toBe(10_000);
    expect(Math.max(...sleeps.slice(6))).toBeGreaterThanOrEqual(ENROLL_RETRY_MAX_MS / 2);
  });
});
