// What the notification tests deliver to: the real nats-server (Debian's
// package, started on 127.0.0.1 with a free port and stopped by the test)
// read by a real NATS subscriber, and one HTTP server standing in for the
// two HTTP sinks: the single Matrix client-server route the CP uses
// (`PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`; no
// homeserver is installable on these machines) and a webhook receiver.
// Its behaviour is switchable: answer, never answer, or fail once per id.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as netServer, Socket } from 'node:net';
import { connect, type NatsConnection, type Subscription } from 'nats';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = new Socket();
      c.once('error', () => r(false));
      c.connect(port, '127.0.0.1', () => {
        c.destroy();
        r(true);
      });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running nats-server. */
export interface NatsServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the real nats-server on `port` (a free one by default). */
export async function startNatsServer(port?: number): Promise<NatsServer> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(p)], {
    stdio: 'ignore',
  });
  await waitForPort(p, 10_000);
  return {
    port: p,
    url: `nats://127.0.0.1:${p}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A subscriber collecting every message under `subject`. */
export async function subscribe(
  url: string,
  subject: string,
): Promise<{
  readonly messages: { subject: string; json: Record<string, unknown> }[];
  close(): Promise<void>;
}> {
  const nc: NatsConnection = await connect({ servers: url });
  const sub: Subscription = nc.subscribe(subject);
  const messages: { subject: string; json: Record<string, unknown> }[] = [];
  void (async () => {
    for await (const m of sub) {
      messages.push({
        subject: m.subject,
        json: JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>,
      });
    }
  })();
  await nc.flush();
  return { messages, close: () => nc.drain() };
}

/** One request the stand-in received. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly status: number | null;
}

/** How the stand-in answers. */
export type Mode = 'ok' | 'hang' | 'fail-once';

/** The HTTP stand-in of the Matrix route and the webhook. */
export interface HttpSinks {
  readonly port: number;
  readonly received: Received[];
  mode: Mode;
  /** Closes every hung request too. */
  close(): Promise<void>;
}

const MATRIX_ROUTE = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/m\.room\.message\/([^/]+)$/;

/** Starts the stand-in on `port` (a free one by default). */
export async function startHttpSinks(mode: Mode, port = 0): Promise<HttpSinks> {
  const hung: ServerResponse[] = [];
  const failed = new Set<string>();
  const received: Received[] = [];
  const state: { mode: Mode } = { mode };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const rec = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: null as number | null,
      };
      received.push(rec);
      if (state.mode === 'hang') {
        hung.push(res);
        return;
      }
      const matrix = MATRIX_ROUTE.exec(path);
      const isHook = req.method === 'POST' && path === '/hook';
      if ((matrix === null || req.method !== 'PUT') && !isHook) {
        rec.status = 404;
        res.writeHead(404).end();
        return;
      }
      const id = matrix
        ? decodeURIComponent(matrix[2] as string)
        : String(req.headers['x-nixfleet-delivery']);
      if (state.mode === 'fail-once' && !failed.has(`${path}`)) {
        failed.add(path);
        rec.status = 502;
        res.writeHead(502).end('try again');
        return;
      }
      rec.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(matrix ? { event_id: `$${id}` } : {}));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    received,
    get mode() {
      return state.mode;
    },
    set mode(m: Mode) {
      state.mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hung.splice(0)) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
