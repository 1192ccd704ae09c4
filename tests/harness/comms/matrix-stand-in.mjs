// matrix-01 in the comms-* harness scenarios: a stand-in for the
// homeserver's client API, because no Matrix homeserver (Conduit, tuwunel)
// is installable on the machines the harness runs on. It serves the one
// route the fleet probes, GET /_matrix/client/versions, with the body of the
// configuration file it is given; everything else is 404 M_UNRECOGNIZED.
//
//   node matrix-stand-in.mjs <versions.json> <port>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.argv[2], 'utf8');
createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_matrix/client/versions') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
}).listen(Number(process.argv[3]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
