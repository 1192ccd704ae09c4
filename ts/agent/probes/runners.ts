// Probe runners (RFC-0007 §3.2, §6, §7): http, tcp, exec, evidence, and the
// signed health gate's conditions (health-gate.ts). Each run
// yields Pass or Fail; a probe that cannot run (timeout, refused, malformed
// output) is a Fail with its reason — there is no "error" status. Must never
// throw and never run a command that is not in health-checks.json.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import type { WireProbeSubResult } from '../../core/wire.ts';
import {
  canonicalBytes,
  decodeBase64Strict,
  verifySignedPayload,
  type PublicKey,
} from '../../trust/index.ts';
import { splitCommand } from './argv.ts';
import type { ProbeSpec } from './config.ts';
import { judgeFailedUnits, type HealthGateProbe } from './health-gate.ts';

/** Result of one probe run. */
export interface ProbeOutcome {
  readonly status: 'Pass' | 'Fail';
  readonly failureReason: string | null;
  readonly subResults: WireProbeSubResult[] | null;
  /** Kind-specific observation, part of the signed payload. */
  readonly output: Record<string, unknown>;
}

/** Context a runner may need. */
export interface RunnerContext {
  readonly hostname: string;
  /** Host public key: verifies evidence files (RFC-0007 §7). */
  readonly hostPublicKey: PublicKey;
  /** Per-probe memory (evidence mtime cache). */
  readonly memo: Map<string, { mtimeMs: number; outcome: ProbeOutcome }>;
  /** Names of the host's failed systemd units (the backend's measure); throws when it cannot tell. */
  readonly failedUnits: () => Promise<readonly string[]>;
  /** Where a host file a probe names is read (the backend's; the sandbox has its own `/`). */
  readonly hostFile: (path: string) => string;
}

const pass = (output: Record<string, unknown>): ProbeOutcome => ({
  status: 'Pass',
  failureReason: null,
  subResults: null,
  output,
});
const fail = (reason: string, output: Record<string, unknown> = {}): ProbeOutcome => ({
  status: 'Fail',
  failureReason: reason.slice(0, 500),
  subResults: null,
  output,
});

/** Why `body` is not a JSON object with top-level `key`, or null when it is. */
function missingJsonKey(body: string, key: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return `body is not JSON (expected an object with key ${JSON.stringify(key)})`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return `body is not a JSON object (expected key ${JSON.stringify(key)})`;
  }
  return Object.prototype.hasOwnProperty.call(doc, key)
    ? null
    : `body has no key ${JSON.stringify(key)}`;
}

async function runHttp(p: Extract<ProbeSpec, { kind: 'http' }>): Promise<ProbeOutcome> {
  try {
    const res = await fetch(p.url, {
      signal: AbortSignal.timeout(p.timeoutSecs * 1000),
      redirect: 'manual',
    });
    const jsonKey = p.jsonKey ?? null;
    const body = p.bodyContains === null && jsonKey === null ? '' : await res.text();
    if (res.status !== p.expectStatus) {
      return fail(`HTTP ${res.status}, expected ${p.expectStatus}`, { status: res.status });
    }
    if (p.bodyContains !== null && !body.includes(p.bodyContains)) {
      return fail(`body does not contain ${JSON.stringify(p.bodyContains)}`, {
        status: res.status,
      });
    }
    if (jsonKey !== null) {
      const problem = missingJsonKey(body, jsonKey);
      if (problem !== null) return fail(problem, { status: res.status });
    }
    return pass({ status: res.status });
  } catch (e) {
    return fail(`request failed: ${(e as Error).message}`);
  }
}

function runTcp(p: Extract<ProbeSpec, { kind: 'tcp' }>): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: p.host, port: p.port });
    const done = (o: ProbeOutcome): void => {
      socket.destroy();
      resolve(o);
    };
    socket.setTimeout(p.connectTimeoutSecs * 1000, () =>
      done(fail(`connect timed out after ${p.connectTimeoutSecs} s`)),
    );
    socket.once('connect', () => done(pass({ connected: true })));
    socket.once('error', (e) => done(fail(`connect failed: ${e.message}`)));
  });
}

function runExec(p: Extract<ProbeSpec, { kind: 'exec' }>): Promise<ProbeOutcome> {
  const argv = splitCommand(p.command);
  if (argv === null || argv.length === 0) {
    return Promise.resolve(fail('command is empty or has an unterminated quote'));
  }
  return new Promise((resolve) => {
    execFile(
      argv[0] as string,
      argv.slice(1),
      { timeout: p.timeoutSecs * 1000, maxBuffer: 1024 * 1024 },
      (e, stdout, stderr) => {
        const err = e as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        if (err?.killed) return resolve(fail(`timed out after ${p.timeoutSecs} s`));
        if (err && typeof err.code === 'string') {
          return resolve(fail(`cannot run ${argv[0]}: ${err.code}`));
        }
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        const output = { exitCode: code, stdoutTail: String(stdout).slice(-500) };
        if (code !== p.expectExitCode) {
          const tail = String(stderr).trim().split('\n').pop() ?? '';
          return resolve(fail(`exit ${code}, expected ${p.expectExitCode}: ${tail}`, output));
        }
        resolve(pass(output));
      },
    );
  });
}

async function runHealthGate(p: HealthGateProbe, ctx: RunnerContext): Promise<ProbeOutcome> {
  const c = p.condition;
  if ('unmeasurable' in c) return fail(c.unmeasurable, { field: c.field });
  let units: readonly string[];
  try {
    units = await ctx.failedUnits();
  } catch (e) {
    return fail(`cannot list failed systemd units: ${(e as Error).message}`, { field: c.field });
  }
  const verdict = judgeFailedUnits(units, c.max);
  const output = { field: c.field, max: c.max, failedUnits: units.slice(0, 20) };
  return verdict.ok ? pass(output) : fail(verdict.reason, output);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function runEvidence(
  p: Extract<ProbeSpec, { kind: 'evidence' }>,
  ctx: RunnerContext,
): ProbeOutcome {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(ctx.hostFile(p.evidencePath)).mtimeMs;
  } catch {
    return fail(`evidence file ${p.evidencePath} is missing`);
  }
  const memo = ctx.memo.get(p.name);
  if (memo && memo.mtimeMs === mtimeMs) return memo.outcome;
  const outcome = evaluateEvidence(p, ctx);
  ctx.memo.set(p.name, { mtimeMs, outcome });
  return outcome;
}

/**
 * Verifies an evidence file `{ payload, signature }` (payload: a probe-payload
 * signed by the host key over its canonical bytes) and applies the
 * framework's pass condition with the probe's control overrides.
 */
export function evaluateEvidence(
  p: Extract<ProbeSpec, { kind: 'evidence' }>,
  ctx: RunnerContext,
): ProbeOutcome {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(ctx.hostFile(p.evidencePath), 'utf8'));
  } catch (e) {
    return fail(`evidence file is not JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc) || !isRecord(doc['payload']) || typeof doc['signature'] !== 'string') {
    return fail('evidence file is not { payload, signature }');
  }
  const bytes = canonicalBytes(doc['payload']);
  const sig = decodeBase64Strict(doc['signature']);
  if (!bytes.ok || sig === null) return fail('evidence payload or signature is malformed');
  const verified = verifySignedPayload(bytes.value, sig, {
    publicKey: ctx.hostPublicKey,
    contract: 'probe-payload',
    expectedHostname: ctx.hostname,
  });
  if (!verified.ok) return fail(`evidence rejected: ${verified.error.message}`);
  const subResults: WireProbeSubResult[] = [];
  let failing = 0;
  for (const c of verified.value.value.controls) {
    if (c.framework !== p.framework) continue;
    const mode = p.controlOverrides[c.controlId]?.mode ?? null;
    if (mode === 'disabled') continue;
    subResults.push({
      control_id: c.controlId,
      status: c.status,
      framework: c.framework,
      article: c.article,
    });
    if (c.status === 'Fail' && mode !== 'observe') failing++;
  }
  const output = { evidenceSha256: verified.value.sha256, controls: subResults.length };
  if (subResults.length === 0) {
    return { ...fail(`evidence has no controls for ${p.framework}`, output), subResults };
  }
  return failing > 0
    ? { ...fail(`${failing} control(s) failing for ${p.framework}`, output), subResults }
    : { ...pass(output), subResults };
}

/**
 * Runs one probe once. Never throws.
 *
 * @example const o = await runProbe(spec, ctx); o.status === 'Pass'
 */
export async function runProbe(p: ProbeSpec, ctx: RunnerContext): Promise<ProbeOutcome> {
  try {
    switch (p.kind) {
      case 'http':
        return await runHttp(p);
      case 'tcp':
        return await runTcp(p);
      case 'exec':
        return await runExec(p);
      case 'evidence':
        return runEvidence(p, ctx);
      case 'health-gate':
        return await runHealthGate(p, ctx);
    }
  } catch (e) {
    return fail(`probe crashed: ${(e as Error).message}`);
  }
}
