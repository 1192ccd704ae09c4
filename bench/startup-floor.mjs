// The floor under `nixfleet status --json` (bench/startup.bench.ts): Node
// doing one bare mTLS HTTP/2 GET to the same control plane, no project code.
// Plain JavaScript so that no loader or bundle adds to it.
//   node bench/startup-floor.mjs <https://host:port> <ca.pem> <client.crt> <client.key>
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';

const [url, ca, cert, key] = process.argv.slice(2);
const session = connect(url, {
  ca: readFileSync(ca),
  cert: readFileSync(cert),
  key: readFileSync(key),
  minVersion: 'TLSv1.3',
});
session.on('error', (e) => {
  console.error(e.message);
  process.exit(2);
});
const req = session.request({ ':path': '/v1/hosts', 'x-nixfleet-protocol': '1' });
const chunks = [];
req.on('data', (c) => chunks.push(c));
req.on('end', () => {
  process.stdout.write(Buffer.concat(chunks));
  session.close();
});
