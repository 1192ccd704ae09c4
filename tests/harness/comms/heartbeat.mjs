// The agent hosts' heartbeat publisher in the comms-* harness scenarios (the
// seed's hermes_nats_client heartbeat, Phase 1): publishes
// `fleet.heartbeat.<host>` every interval with the real NATS client library,
// and serves GET /heartbeat on 127.0.0.1:<statusPort> — 200 with
// `confirmedAt` while the last heartbeat was confirmed by the broker less
// than staleAfterMs ago, 503 otherwise. That status is the host's enforce
// probe (examples/comms/settings.nix, heartbeatProbe).
//
//   node heartbeat.mjs <config.json>     (NATS_CLIENT: path of the nats package)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

// The client package is the machine's (the runner names it), not a store path.
const { connect, JSONCodec } = createRequire(import.meta.url)(process.env.NATS_CLIENT);

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const codec = JSONCodec();
let confirmedAt = null;
let lastError = 'not connected yet';
let nc = null;

async function beat() {
  if (nc === null) return;
  try {
    nc.publish(
      cfg.subject,
      codec.encode({ host: cfg.host, revision: cfg.revision, at: new Date().toISOString() }),
    );
    // A PING/PONG round trip on the same connection: the server answers
    // only after processing every message sent before it, so the heartbeat
    // reached the broker.
    await nc.flush();
    confirmedAt = Date.now();
    lastError = null;
  } catch (e) {
    lastError = e.message;
  }
}

async function run() {
  for (;;) {
    try {
      nc = await connect({
        servers: cfg.servers,
        name: `heartbeat-${cfg.host}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: 2000,
      });
      lastError = null;
      await beat();
      await nc.closed();
    } catch (e) {
      lastError = `connect ${cfg.servers.join(',')}: ${e.message}`;
    }
    nc = null;
    await new Promise((r) => setTimeout(r, 500));
  }
}

createServer((req, res) => {
  const fresh = confirmedAt !== null && Date.now() - confirmedAt < cfg.staleAfterMs;
  res.writeHead(fresh ? 200 : 503, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify(
      fresh
        ? { subject: cfg.subject, confirmedAt: new Date(confirmedAt).toISOString() }
        : { subject: cfg.subject, error: lastError ?? 'no heartbeat confirmed recently' },
    ),
  );
}).listen(cfg.statusPort, '127.0.0.1');

setInterval(() => void beat(), cfg.intervalMs);
void run();
process.on('SIGTERM', () => {
  void (nc ? nc.close() : Promise.resolve()).finally(() => process.exit(0));
});
