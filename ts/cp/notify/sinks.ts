// The notification sinks: NATS (publish on `<prefix>.<channel>.<kind>`,
// confirmed by a flush round trip), a Matrix room (client-server API
// `PUT …/send/m.room.message/{txnId}` with txnId = the dedupe id, so the
// homeserver drops a retried duplicate) and a signed webhook. Each attempt
// has a deadline; a sink that does not answer in time fails the attempt
// (the outbox retries). Secrets are read from their files once, at start:
// a missing or empty file refuses the start with CP_ERR_CONFIG. Must never
// decide what is sent (the core does) or retry by itself (the outbox does).
import { createHmac } from 'node:crypto';
import type { NatsConnection as NatsConnectionType } from 'nats';
import { readFileSync } from 'node:fs';
import { natsSubject, notificationText } from '../../core/index.ts';
import type { Notification } from '../../contracts/index.ts';
import { CpError } from '../errors.ts';
import type { NatsSinkConfig, NotifyConfig } from './config.ts';

/** Sink names: one sink per kind. */
export type SinkName = 'nats' | 'matrix' | 'webhook';

/** One configured sink. */
export interface Sink {
  readonly name: SinkName;
  /** Delivers one notification or throws; must settle within `timeoutMs`. */
  send(n: Notification, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Webhook headers (docs/control-plane.md "Webhook signature"). */
export const WEBHOOK_HEADERS = {
  delivery: 'x-nixfleet-delivery',
  timestamp: 'x-nixfleet-timestamp',
  signature: 'x-nixfleet-signature',
} as const;

/**
 * The webhook signature: HMAC-SHA256 over `<timestamp>.<body>` with the
 * shared secret, hex, prefixed `sha256=`. The timestamp (Unix seconds) is
 * inside the MAC so a captured request cannot be replayed later.
 *
 * @example webhookSignature(secret, 1779000000, body) // 'sha256=…'
 */
export function webhookSignature(secret: string, timestampSecs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSecs}.${body}`).digest('hex')}`;
}

function readSecret(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--${flag}: ${(e as Error).message}`,
      { flag, file },
      { cause: e },
    );
  }
  if (text === '') {
    throw new CpError('CP_ERR_CONFIG', `--${flag}: ${file} is empty`, { flag, file });
  }
  return text;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  const text = (await res.text().catch(() => '')).slice(0, 200);
  throw new Error(`${what} answered ${res.status}${text ? `: ${text}` : ''}`);
}

function matrixSink(url: string, room: string, token: string): Sink {
  const base = url.replace(/\/+$/, '');
  return {
    name: 'matrix',
    async send(n, timeoutMs) {
      const text = notificationText(n);
      const json = JSON.stringify(n, null, 2);
      const escaped = (s: string): string =>
        s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const content = {
        msgtype: 'm.text',
        body: `${text}\n\n${json}`,
        format: 'org.matrix.custom.html',
        formatted_body: `<p>${escaped(text)}</p><pre><code class="language-json">${escaped(json)}</code></pre>`,
        'org.nixfleet.notification': n,
      };
      const target = `${base}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/${encodeURIComponent(n.id)}`;
      const res = await fetch(target, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(content),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await expectOk(res, 'the Matrix homeserver');
    },
    async close() {},
  };
}

function webhookSink(url: string, secret: string, now: () => number): Sink {
  return {
    name: 'webhook',
    async send(n, timeoutMs) {
      const body = JSON.stringify(n);
      const ts = Math.floor(now() / 1000);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_HEADERS.delivery]: n.id,
          [WEBHOOK_HEADERS.timestamp]: String(ts),
          [WEBHOOK_HEADERS.signature]: webhookSignature(secret, ts, body),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await expectOk(res, 'the webhook');
    },
    async close() {},
  };
}

/** Rejects after `ms` unless `p` settles first. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

type NatsConnection = NatsConnectionType;

function natsSink(c: NatsSinkConfig, secret: { creds?: string; seed?: string }): Sink {
  let conn: Promise<NatsConnection> | null = null;
  const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
  const connect = async (timeoutMs: number): Promise<NatsConnection> => {
    // nats.js is loaded only when a NATS sink is configured.
    const nats = await import('nats');
    const authenticator =
      secret.creds !== undefined
        ? nats.credsAuthenticator(encode(secret.creds))
        : secret.seed !== undefined
          ? nats.nkeyAuthenticator(encode(secret.seed))
          : undefined;
    return nats.connect({
      servers: c.url,
      name: 'nixfleet-control-plane',
      timeout: timeoutMs,
      // After the first connection the client reconnects by itself; a send
      // during an outage times out on its flush and is retried.
      reconnect: true,
      maxReconnectAttempts: -1,
      ...(c.url.startsWith('tls:') ? { tls: {} } : {}),
      ...(authenticator !== undefined ? { authenticator } : {}),
    });
  };
  return {
    name: 'nats',
    async send(n, timeoutMs) {
      const started = Date.now();
      conn ??= connect(timeoutMs);
      let nc: NatsConnection;
      try {
        nc = await within(conn, timeoutMs, 'NATS connect');
      } catch (e) {
        // The next attempt connects afresh.
        const failed = conn;
        conn = null;
        failed.then((x) => x.close()).catch(() => undefined);
        throw e;
      }
      nc.publish(natsSubject(c.subjectPrefix, n), encode(JSON.stringify(n)));
      // The flush's PONG says the server has the message.
      await within(nc.flush(), Math.max(1, timeoutMs - (Date.now() - started)), 'NATS flush');
    },
    async close() {
      const p = conn;
      conn = null;
      if (p === null) return;
      await p.then((nc) => nc.drain()).catch(() => undefined);
    },
  };
}

/**
 * The configured sinks, secrets read (CP_ERR_CONFIG when a file is missing
 * or empty).
 *
 * @example const sinks = openSinks(config.notify, () => Date.now());
 */
export function openSinks(config: NotifyConfig, now: () => number): Sink[] {
  const sinks: Sink[] = [];
  if (config.nats !== null) {
    const c = config.nats;
    sinks.push(
      natsSink(c, {
        ...(c.credsFile !== null
          ? { creds: readSecret(c.credsFile, 'notify-nats-creds-file') }
          : {}),
        ...(c.nkeySeedFile !== null
          ? { seed: readSecret(c.nkeySeedFile, 'notify-nats-nkey-seed-file') }
          : {}),
      }),
    );
  }
  if (config.matrix !== null) {
    const m = config.matrix;
    sinks.push(matrixSink(m.url, m.room, readSecret(m.tokenFile, 'notify-matrix-token-file')));
  }
  if (config.webhook !== null) {
    const w = config.webhook;
    sinks.push(webhookSink(w.url, readSecret(w.secretFile, 'notify-webhook-secret-file'), now));
  }
  return sinks;
}
