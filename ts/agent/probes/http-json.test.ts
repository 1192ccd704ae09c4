// The http probe's jsonKey: a Matrix homeserver answers /_matrix/client/versions
// 200 with a `versions` key; a proxy's 200 error page, a JSON array or an
// object without the key must fail the probe.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../trust/index.ts';
import type { ProbeSpec } from './config.ts';
import { runProbe, type RunnerContext } from './runners.ts';

const key = generatePrivateKey('ed25519');
const ctx: RunnerContext = {
  hostname: 'matrix-01',
  hostPublicKey: key.publicKey,
  memo: new Map(),
  failedUnits: async () => [],
  hostFile: (p) => p,
};
const bodies: Record<string, string> = {
  '/_matrix/client/versions': JSON.stringify({ versions: ['v1.11'], unstable_features: {} }),
  '/other-object': JSON.stringify({ errcode: 'M_UNRECOGNIZED', note: 'versions' }),
  '/array': JSON.stringify(['versions']),
  '/html': '<html><body>versions: 502 Bad Gateway</body></html>',
};
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(bodies[req.url ?? ''] ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const probe = (path: string, jsonKey: string | null | undefined): ProbeSpec => ({
  name: 'matrix-client-api',
  kind: 'http',
  intervalSeconds: 1,
  mode: 'enforce',
  url: `http://127.0.0.1:${port}${path}`,
  expectStatus: 200,
  bodyContains: null,
  ...(jsonKey === undefined ? {} : { jsonKey }),
  timeoutSecs: 2,
});

describe('http probe: jsonKey', () => {
  it('passes when the body is a JSON object with the key', async () => {
    const o = await runProbe(probe('/_matrix/client/versions', 'versions'), ctx);
    expect(o).toMatchObject({ status: 'Pass', failureReason: null });
  });

  it('fails on an object without the key, even when the text contains it', async () => {
    const o = await runProbe(probe('/other-object', 'versions'), ctx);
    expect(o.status).toBe('Fail');
    expect(o.failureReason).toBe('body has no key "versions"');
  });

  it('fails on a JSON array and on a body that is not JSON', async () => {
    const a = await runProbe(probe('/array', 'versions'), ctx);
    expect(a.failureReason).toMatch(/^body is not a JSON object/);
    const h = await runProbe(probe('/html', 'versions'), ctx);
    expect(h.failureReason).toMatch(/^body is not JSON/);
  });

  it('is not checked when null or absent (a probe set rendered before the field)', async () => {
    expect((await runProbe(probe('/html', null), ctx)).status).toBe('Pass');
    expect((await runProbe(probe('/html', undefined), ctx)).status).toBe('Pass');
  });
});
