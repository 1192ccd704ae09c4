// A malformed notification configuration is refused at start with
// CP_ERR_CONFIG naming the flag: a bad URL or scheme, a bad subject prefix,
// a room alias instead of a room id, a sink without its secret file, and a
// secret file that is missing or empty (read when the CP is created, before
// storage opens).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createControlPlane, parseConfig, silentLogger } from '../index.ts';
import { isCpError } from '../errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-notify-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secret = join(dir, 'secret');
writeFileSync(secret, 's3cret\n');
const empty = join(dir, 'empty');
writeFileSync(empty, '\n');

const base = { listen: '127.0.0.1:0', db: ':memory:' };

function refusal(fn: () => unknown): { code: string; flag: unknown } {
  try {
    fn();
  } catch (e) {
    if (!isCpError(e)) throw e;
    return { code: e.code, flag: e.details['flag'] };
  }
  throw new Error('not refused');
}

describe('notification flags', () => {
  it.each([
    [{ notifyNatsUrl: 'http://127.0.0.1:4222' }, 'notify-nats-url'],
    [{ notifyNatsUrl: 'not a url' }, 'notify-nats-url'],
    [
      { notifyNatsUrl: 'nats://127.0.0.1:4222', notifyNatsSubjectPrefix: 'fleet.*' },
      'notify-nats-subject-prefix',
    ],
    [
      { notifyNatsUrl: 'nats://127.0.0.1:4222', notifyNatsSubjectPrefix: 'fleet..events' },
      'notify-nats-subject-prefix',
    ],
    [{ notifyMatrixUrl: 'https://m.example', notifyMatrixTokenFile: secret }, 'notify-matrix-room'],
    [
      {
        notifyMatrixUrl: 'https://m.example',
        notifyMatrixRoom: '#ops:example',
        notifyMatrixTokenFile: secret,
      },
      'notify-matrix-room',
    ],
    [
      { notifyMatrixUrl: 'https://m.example', notifyMatrixRoom: '!ops:example' },
      'notify-matrix-token-file',
    ],
    [
      {
        notifyMatrixUrl: 'ftp://m.example',
        notifyMatrixRoom: '!ops:example',
        notifyMatrixTokenFile: secret,
      },
      'notify-matrix-url',
    ],
    [{ notifyWebhookUrl: 'https://hooks.example/x' }, 'notify-webhook-secret-file'],
    [{ notifyWebhookUrl: 'hooks.example', notifyWebhookSecretFile: secret }, 'notify-webhook-url'],
    [{ notifyMaxAttempts: '2.5' }, 'notify-max-attempts'],
    [{ notifyBackoffBaseMs: '10s', notifyBackoffMaxSecs: '1' }, 'notify-backoff-max-secs'],
  ])('refuses %j (--%s)', (flags, flag) => {
    expect(refusal(() => parseConfig({ ...base, ...flags }))).toEqual({
      code: 'CP_ERR_CONFIG',
      flag,
    });
  });

  it('accepts complete sinks and the duration conventions', () => {
    const c = parseConfig({
      ...base,
      notifyNatsUrl: 'nats://127.0.0.1:4222',
      notifyMatrixUrl: 'https://m.example',
      notifyMatrixRoom: '!ops:example.org',
      notifyMatrixTokenFile: secret,
      notifyWebhookUrl: 'https://hooks.example/x',
      notifyWebhookSecretFile: secret,
      notifyHeldAfterMins: '1h30m',
      notifyTimeoutSecs: '500ms',
    }).notify;
    expect(c.nats?.subjectPrefix).toBe('nixfleet.events');
    expect(c.heldAfterMs).toBe(90 * 60_000);
    expect(c.timeoutMs).toBe(500);
    expect(parseConfig({ ...base, notifyHeldAfterMins: '0' }).notify.heldAfterMs).toBeNull();
  });

  it.each([
    [
      {
        notifyWebhookUrl: 'https://hooks.example/x',
        notifyWebhookSecretFile: join(dir, 'missing'),
      },
      'notify-webhook-secret-file',
    ],
    [
      { notifyWebhookUrl: 'https://hooks.example/x', notifyWebhookSecretFile: empty },
      'notify-webhook-secret-file',
    ],
    [
      {
        notifyMatrixUrl: 'https://m.example',
        notifyMatrixRoom: '!ops:example',
        notifyMatrixTokenFile: join(dir, 'missing'),
      },
      'notify-matrix-token-file',
    ],
    [
      { notifyNatsUrl: 'nats://127.0.0.1:4222', notifyNatsNkeySeedFile: join(dir, 'missing') },
      'notify-nats-nkey-seed-file',
    ],
  ])('refuses to start with %j (--%s unreadable)', async (flags, flag) => {
    const config = parseConfig({ ...base, ...flags });
    const err: unknown = await createControlPlane(config, { log: silentLogger() }).then(
      async (cp) => {
        await cp.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(isCpError(err) ? { code: err.code, flag: err.details['flag'] } : err).toEqual({
      code: 'CP_ERR_CONFIG',
      flag,
    });
  });
});
