// Invariants beyond wave order: disruption budgets (budgetsRespected) and the
// signed loop end to end (signedRoundtrip). Each reads evidence the run can
// show an auditor — the CP's event log, the bytes the CP serves, the release
// directory, the hosts' own disks — and reports a violation when it finds no
// evidence at all, so it can never pass vacuously.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, constants } from 'node:http2';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ApiRolloutEvents, FleetResolved, RolloutManifest } from '../contracts/index.ts';
import { safeName } from '../agent/state/store.ts';
import { canonicalBytes } from '../trust/index.ts';
import { eventBody, rolloutOf } from './event-log.ts';
import { REPO, type Published } from './publish.ts';

const run = promisify(execFile);

type LogEvent = ApiRolloutEvents['events'][number];
type Selector = FleetResolved['disruptionBudgets'][number]['selector'];

/** Whether `host` of the fleet is selected (RFC-0001 §3: the intersection of every key set). */
export function selects(
  s: Selector,
  name: string,
  host: { readonly tags: readonly string[]; readonly channel: string },
): boolean {
  if (s.tags.length > 0 && !s.tags.every((t) => host.tags.includes(t))) return false;
  if (s.tagsAny.length > 0 && !s.tagsAny.some((t) => host.tags.includes(t))) return false;
  if (s.hosts.length > 0 && !s.hosts.includes(name)) return false;
  if (s.channel !== null && s.channel !== host.channel) return false;
  if (s.not !== null && selects(s.not, name, host)) return false;
  if (!s.and.every((x) => selects(x, name, host))) return false;
  return true;
}

const IN_FLIGHT = new Set(['Activating', 'Soaking']);

/**
 * Invariant: at no instant were more hosts of a disruption budget in flight
 * (Activating or Soaking, RFC-0002 §4.2) than its limit, across every rollout
 * and channel. Budgets come from the signed fleet.resolved and are matched
 * to hosts by their selectors; host states from the CP's HostStateChanged
 * log entries, ordered by the agent-reported instant of each transition
 * (never before the host's previous logged transition).
 */
export function checkBudgetsRespected(events: readonly LogEvent[], fleet: FleetResolved): string[] {
  if (fleet.disruptionBudgets.length === 0)
    return ['budgetsRespected: the fleet declares no disruption budget — nothing to check'];
  const changes = events
    .filter((e) => e.kind === 'HostStateChanged')
    .map((e) => {
      const b = eventBody(e) as { hostname?: string; to?: string; at?: number };
      return {
        seq: e.seq,
        key: `${rolloutOf(e)}/${b.hostname ?? e.hostname}`,
        host: b.hostname ?? e.hostname ?? '',
        to: String(b.to),
        at: typeof b.at === 'number' ? b.at : Date.parse(e.at),
      };
    })
    .sort((x, y) => x.seq - y.seq);
  // A host's transitions happen in the order the CP logged them. The CP may
  // learn of an activation from a heartbeat (stamped when it arrived) before
  // the agent's delayed events (stamped when they happened, possibly
  // earlier): a transition's instant is never before the one logged before
  // it for the same host, or the host would stay in flight after it left.
  const lastAt = new Map<string, number>();
  for (const c of changes) {
    c.at = Math.max(c.at, lastAt.get(c.key) ?? -Infinity);
    lastAt.set(c.key, c.at);
  }
  // Half-open intervals: at the same instant, leaving flight counts first
  // across hosts; one host's own transitions keep their logged order.
  changes.sort(
    (x, y) =>
      x.at - y.at ||
      (x.key === y.key ? 0 : Number(IN_FLIGHT.has(x.to)) - Number(IN_FLIGHT.has(y.to))) ||
      x.seq - y.seq,
  );
  const violations: string[] = [];
  for (const [i, b] of fleet.disruptionBudgets.entries()) {
    const members = new Set(
      Object.entries(fleet.hosts)
        .filter(([n, h]) => selects(b.selector, n, h))
        .map(([n]) => n),
    );
    const pct =
      b.maxInFlightPct === null
        ? Infinity
        : Math.max(1, Math.floor((members.size * b.maxInFlightPct) / 100));
    const limit = Math.min(b.maxInFlight ?? Infinity, pct);
    const label = `budget #${i} (${JSON.stringify(b.selector.tags.length ? { tags: b.selector.tags } : b.selector)}, limit ${limit}, ${members.size} hosts)`;
    const flying = new Map<string, string>(); // rollout/host → host
    let peak = 0;
    let entered = 0;
    for (const c of changes) {
      if (!members.has(c.host)) continue;
      if (IN_FLIGHT.has(c.to)) {
        if (!flying.has(c.key)) entered++;
        flying.set(c.key, c.host);
      } else flying.delete(c.key);
      const hostsInFlight = new Set(flying.values());
      peak = Math.max(peak, hostsInFlight.size);
      if (hostsInFlight.size > limit && violations.length < 5)
        violations.push(
          `${label} exceeded at ${new Date(c.at).toISOString()}: ${hostsInFlight.size} in flight [${[...hostsInFlight].sort().join(', ')}]`,
        );
    }
    if (entered === 0)
      violations.push(`${label}: no member host was ever in flight — no evidence to check`);
  }
  return violations;
}

/** GET on the CP with the operator certificate; raw bytes and headers. */
async function cpGet(
  cp: CpAccess,
  path: string,
  accept: string,
): Promise<{ status: number; signature: string | null; body: Buffer }> {
  const session = connect(cp.cpUrl, {
    ca: readFileSync(cp.caCert),
    cert: readFileSync(cp.clientCert),
    key: readFileSync(cp.clientKey),
  });
  try {
    return await new Promise((ok, fail) => {
      session.once('error', fail);
      const req = session.request({
        [constants.HTTP2_HEADER_PATH]: path,
        'x-nixfleet-protocol': '1',
        accept,
      });
      const chunks: Buffer[] = [];
      let status = 0;
      let signature: string | null = null;
      req.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        const s = h['x-nixfleet-signature'];
        signature = typeof s === 'string' ? s : null;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => ok({ status, signature, body: Buffer.concat(chunks) }));
      req.on('error', fail);
      req.setTimeout(10_000, () => req.close(constants.NGHTTP2_CANCEL));
    });
  } finally {
    session.close();
  }
}

/** How to reach the CP as an operator. */
export interface CpAccess {
  readonly cpUrl: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** `nixfleet verify …` as an auditor runs it: a separate process, exit 0 or the typed reason. */
async function auditor(args: string[]): Promise<string | null> {
  try {
    await run(process.execPath, [join(REPO, 'bin/nixfleet.mjs'), 'verify', ...args, '--json'], {
      cwd: REPO,
      timeout: 60_000,
    });
    return null;
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return `nixfleet verify ${args[0]} exited ${x.code ?? '?'}: ${(x.stdout || x.stderr || x.message).trim().slice(0, 400)}`;
  }
}

/** What the signed-roundtrip invariant reads. */
export interface RoundtripInputs {
  readonly events: readonly LogEvent[];
  readonly release: Published | undefined;
  readonly releaseDir: string;
  readonly trustFile: string;
  readonly hostStateDir: (host: string) => string;
  readonly auditDir: string;
  readonly cp: CpAccess;
}

/**
 * Invariant: the signed loop holds end to end for the last release. Every
 * rollout manifest CI signed is what the CP serves, byte for byte (manifest
 * and signature); every host of its hostSet acknowledged it, converged, and
 * cached exactly those verified bytes; and an auditor with only trust.json
 * verifies, offline with `nixfleet verify`, fleet.resolved, the manifest
 * bound to it, and each host's signed probe evidence, whose generationHash
 * is the manifest's target for that host.
 */
export async function checkSignedRoundtrip(i: RoundtripInputs): Promise<string[]> {
  if (!i.release || i.release.rolloutIds.length === 0)
    return ['signedRoundtrip: no release opened a rollout — nothing to check'];
  const fleetFile = join(i.releaseDir, 'fleet.resolved.json');
  const fleet = JSON.parse(readFileSync(fleetFile, 'utf8')) as FleetResolved;
  mkdirSync(i.auditDir, { recursive: true });
  const anyWindow = String(
    Math.max(...Object.values(fleet.channels).map((c) => c.freshnessWindow)) * 60,
  );
  // Auditor processes run concurrently (each is a cold `nixfleet` start);
  // violations are reported in a fixed order.
  const jobs: Promise<string[]>[] = [
    auditor([
      'artifact',
      '--artifact',
      fleetFile,
      '--signature',
      `${fleetFile}.sig`,
      '--trust-file',
      i.trustFile,
      '--freshness-window-secs',
      anyWindow,
    ]).then((r) => (r ? [`auditor refused fleet.resolved: ${r}`] : [])),
  ];
  for (const id of i.release.rolloutIds) jobs.push(checkRollout(i, fleet, fleetFile, id));
  return (await Promise.all(jobs)).flat();
}

/** One rollout of the signed-roundtrip invariant. */
async function checkRollout(
  i: RoundtripInputs,
  fleet: FleetResolved,
  fleetFile: string,
  id: string,
): Promise<string[]> {
  const v: string[] = [];
  const file = join(i.releaseDir, 'rollouts', `${id}.json`);
  const ciBytes = readFileSync(file);
  const ciSig = readFileSync(`${file}.sig`);
  const manifest = JSON.parse(ciBytes.toString('utf8')) as RolloutManifest;
  const served = await cpGet(i.cp, `/v1/rollouts/${id}`, 'application/json');
  if (served.status !== 200) v.push(`CP served ${id} with HTTP ${served.status}`);
  else if (!served.body.equals(ciBytes))
    v.push(`CP serves manifest ${id} bytes that differ from what CI signed`);
  const servedSig = await cpGet(i.cp, `/v1/rollouts/${id}`, 'application/octet-stream');
  if (!servedSig.body.equals(ciSig) || served.signature !== ciSig.toString('base64'))
    v.push(`CP serves a signature for ${id} that differs from CI's`);
  if (manifest.hostSet.length === 0) v.push(`manifest ${id} names no host — no evidence`);
  const jobs: Promise<string[]>[] = [
    auditor([
      'rollout-manifest',
      '--manifest',
      file,
      '--signature',
      `${file}.sig`,
      '--rollout-id',
      id,
      '--fleet-resolved',
      fleetFile,
      '--trust-file',
      i.trustFile,
      '--freshness-window-secs',
      String((fleet.channels[manifest.channel]?.freshnessWindow ?? 0) * 60),
    ]).then((r) => (r ? [`auditor refused manifest ${id}: ${r}`] : [])),
    ...manifest.hostSet.map((entry) =>
      checkHost(i, fleet, id, entry.hostname, entry.targetClosure, { ciBytes, ciSig }),
    ),
  ];
  return [...v, ...(await Promise.all(jobs)).flat()];
}

/** One host of a rollout: its acks, its cached manifest, its signed evidence. */
async function checkHost(
  i: RoundtripInputs,
  fleet: FleetResolved,
  id: string,
  h: string,
  targetClosure: string,
  ci: { readonly ciBytes: Buffer; readonly ciSig: Buffer },
): Promise<string[]> {
  const v: string[] = [];
  const mine = i.events.filter((e) => rolloutOf(e) === id && e.hostname === h);
  for (const k of ['RemoteDispatchAck', 'RemoteConverged'])
    if (!mine.some((e) => e.kind === k)) v.push(`${h}: no ${k} for ${id} in the CP's log`);
  const cached = join(i.hostStateDir(h), 'manifests', safeName(id));
  if (!existsSync(`${cached}.json`)) v.push(`${h}: no verified manifest cached for ${id}`);
  else if (
    !readFileSync(`${cached}.json`).equals(ci.ciBytes) ||
    !readFileSync(`${cached}.sig`).equals(ci.ciSig)
  )
    v.push(`${h}: the manifest it verified for ${id} differs from what CI signed`);
  const pubkey = fleet.hosts[h]?.pubkey;
  if (!pubkey) return [...v, `${h}: fleet.resolved carries no pubkey to verify its evidence with`];
  const pubFile = join(i.auditDir, `${h}.pub`);
  writeFileSync(pubFile, `${pubkey}\n`);
  // The evidence as the CP kept it (events[].evidence of the operator API): the latest
  // signed ProbeResult of this host in this rollout, the payload exactly as signed.
  const fromCp = mine
    .map((e) => e.evidence)
    .filter((x) => x !== null && x !== undefined)
    .pop();
  // Each source: [payload bytes file, signature file].
  const files: [string, string][] = [];
  if (!fromCp || fromCp.signature === null)
    v.push(`${h}: the CP's event log carries no signed probe evidence for ${id}`);
  else {
    const f = join(i.auditDir, `${h}.cp-evidence.json`);
    writeFileSync(f, fromCp.payloadJcs);
    writeFileSync(`${f}.sig`, fromCp.signature);
    files.push([f, `${f}.sig`]);
  }
  // And as the host keeps it on its own disk: `<probe>.evidence.json`, which the agent
  // replaces atomically, so a copy is always a matching pair.
  const evDir = join(i.hostStateDir(h), 'evidence');
  const onHost = existsSync(evDir)
    ? readdirSync(evDir).filter((f) => f.endsWith('.evidence.json'))
    : [];
  if (onHost.length === 0) v.push(`${h}: no signed probe evidence on the host`);
  for (const f of onHost) {
    // One atomic file: a copy is a matching pair; split it into the signed bytes and the
    // signature so both sources are audited the same way.
    const pair = JSON.parse(readFileSync(join(evDir, f), 'utf8')) as {
      payload: unknown;
      signature: string;
    };
    const bytes = canonicalBytes(pair.payload);
    if (!bytes.ok) {
      v.push(`${h}: evidence ${f} on the host is not canonicalisable`);
      continue;
    }
    const copy = join(i.auditDir, `${h}.${f}`);
    writeFileSync(copy, bytes.value);
    writeFileSync(`${copy}.sig`, pair.signature);
    files.push([copy, `${copy}.sig`]);
  }
  for (const [payloadFile, sigFile] of files) {
    const p = payloadFile.slice(payloadFile.lastIndexOf('/') + 1);
    const er = await auditor([
      'probe',
      '--payload',
      payloadFile,
      '--signature',
      sigFile,
      '--pubkey',
      pubFile,
      '--hostname',
      h,
    ]);
    if (er) v.push(`${h}: auditor refused probe evidence ${p}: ${er}`);
    const payload = JSON.parse(readFileSync(payloadFile, 'utf8')) as {
      rolloutId: string | null;
      generationHash: string | null;
    };
    if (payload.rolloutId !== id || payload.generationHash !== targetClosure)
      v.push(
        `${h}: evidence ${p} is for ${payload.rolloutId} on ${payload.generationHash}, not ${id} on ${targetClosure}`,
      );
  }
  return v;
}
