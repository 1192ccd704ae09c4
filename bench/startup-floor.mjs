// The floor under `nixfleet status --json` (bench/startup.bench.ts): Node
// doing one bare mTLS GET to the same control plane, no project code.
// Plain JavaScript so that no loader or bundle adds to it.
//   node bench/startup-floor.mjs <https://host:port> <ca.pem> <client.crt> <client.key> [--http1] [--phases]
// HTTP/2 GET /v1/hosts by default; --http1: HTTP/1.1 GET /metrics (the one
// route the CP serves over HTTP/1.1), to size the transport as a lever.
// --phases: also print, on stderr as JSON, the CPU milliseconds (user +
// system, this process) each step took: loading node:tls, loading the HTTP
// module, reading the PEM files, the first secure context (Node builds its
// root certificate store there unless NODE_EXTRA_CA_CERTS made it build it
// at start), the TCP connection and TLS 1.3 handshake with the client
// certificate, the request and its answer. The steps run the same way
// without --phases; only the clock reads are added.
import { readFileSync } from 'node:fs';

const [url, caFile, certFile, keyFile, ...flags] = process.argv.slice(2);
const http1 = flags.includes('--http1');
/** @type {[string, number][]} */
const phases = [];
let last = process.cpuUsage();
/** @param {string} name */
const phase = (name) => {
  const now = process.cpuUsage();
  phases.push([name, (now.user - last.user + now.system - last.system) / 1000]);
  last = now;
};
const fail = (/** @type {Error} */ e) => {
  console.error(e.message);
  process.exit(2);
};

const tls = await import('node:tls');
phase('load node:tls');
const http = http1 ? await import('node:https') : await import('node:http2');
phase(http1 ? 'load node:https' : 'load node:http2');
const pem = { ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) };
phase('read the PEM files');
const secureContext = tls.createSecureContext({ ...pem, minVersion: 'TLSv1.3' });
phase('first secure context');
/** @type {Buffer[]} */
const chunks = [];
const done = () => {
  phase('request and answer');
  process.stdout.write(Buffer.concat(chunks));
  if (flags.includes('--phases')) console.error(JSON.stringify(phases));
};
if (http1) {
  const req = /** @type {typeof import('node:https')} */ (http).request(
    new URL('/metrics', url),
    { secureContext, minVersion: 'TLSv1.3', agent: false },
    (res) => {
      res.on('data', (c) => chunks.push(c));
      res.on('end', done);
    },
  );
  req.on('socket', (s) => s.once('secureConnect', () => phase('connect and TLS handshake')));
  req.on('error', fail);
  req.end();
} else {
  const session = /** @type {typeof import('node:http2')} */ (http).connect(url, {
    secureContext,
    minVersion: 'TLSv1.3',
  });
  session.once('connect', () => phase('connect and TLS handshake'));
  session.on('error', fail);
  const req = session.request({ ':path': '/v1/hosts', 'x-nixfleet-protocol': '1' });
  req.on('error', fail);
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    done();
    session.close();
  });
}
