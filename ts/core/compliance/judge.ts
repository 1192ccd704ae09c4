// The runtime side of a compliance control (book §1.6, RFC-0007 §7): turns a
// probe command's stdout into the JSON object its descriptor declares
// (contracts/compliance-control.nix `probe.output`) and judges it against
// `expectedShape` and `expect`. Pure: the collector runs the command and
// hands the result in. A probe error (no exit code, malformed output,
// missing field) is a failure (RFC-0007 §6); nothing passes unchecked.
import type { ComplianceControl, ProbePayload } from '../../contracts/index.ts';

type Probe = ComplianceControl['probe'];
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What running a probe command gave. */
export interface ProbeRun {
  readonly stdout: string;
  /** null when the command could not run, was killed or timed out. */
  readonly exitCode: number | null;
  /** Why it could not run (spawn error, timeout), or null. */
  readonly error: string | null;
}

/** One control's verdict, with the normalised output it rests on. */
export interface ControlVerdict {
  readonly status: 'Pass' | 'Fail';
  readonly output: { readonly [k: string]: Json } | null;
  /** Why it failed, or null when it passed. */
  readonly failure: string | null;
}

const fields = (lines: string[], split: (l: string) => [string, string] | null) => {
  const out: Record<string, Json> = {};
  for (const l of lines) {
    const kv = split(l);
    if (kv) out[kv[0]] = kv[1];
  }
  return out;
};

/**
 * stdout as the object `format` declares; a string when it cannot be read.
 *
 * @example normaliseOutput('sysctl', 'fs.suid_dumpable = 0\n', 0) // { 'fs.suid_dumpable': '0', exitCode: 0 }
 */
export function normaliseOutput(
  format: Probe['output'],
  stdout: string,
  exitCode: number,
): { [k: string]: Json } | string {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  let out: { [k: string]: Json };
  switch (format) {
    case 'json': {
      let v: unknown;
      try {
        v = JSON.parse(stdout);
      } catch (e) {
        return `output is not JSON: ${(e as Error).message}`;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        return 'output is not a JSON object';
      out = v as { [k: string]: Json };
      break;
    }
    case 'key-value':
      out = fields(lines, (l) => {
        const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(l);
        return m ? [m[1]!.toLowerCase(), m[2]!] : null;
      });
      break;
    case 'properties':
      out = fields(lines, (l) => {
        const i = l.indexOf('=');
        return i > 0 ? [l.slice(0, i).trim(), l.slice(i + 1).trim()] : null;
      });
      break;
    case 'sysctl':
      out = fields(lines, (l) => {
        const m = /^\s*(\S+)\s*=\s*(.*?)\s*$/.exec(l);
        return m ? [m[1]!, m[2]!] : null;
      });
      break;
    case 'lines':
      out = { lines: lines.slice(0, 100), count: lines.length };
      break;
    case 'exit-code':
      out = {};
      break;
  }
  return { ...out, exitCode };
}

const jsonType = (v: Json | undefined): string =>
  v === undefined
    ? 'missing'
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'array'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'integer'
            : 'number'
          : typeof v;

/**
 * Judges one run against the control's probe descriptor.
 *
 * @example judgeControl(probe, { stdout: 'permitrootlogin no\n', exitCode: 0, error: null }).status // 'Pass'
 */
export function judgeControl(probe: Probe, run: ProbeRun): ControlVerdict {
  if (run.error !== null || run.exitCode === null) {
    return {
      status: 'Fail',
      output: null,
      failure: `probe did not run: ${run.error ?? 'no exit code'}`,
    };
  }
  const out = normaliseOutput(probe.output, run.stdout, run.exitCode);
  if (typeof out === 'string') return { status: 'Fail', output: null, failure: out };
  const expectations = Object.entries(probe.expect);
  if (expectations.length === 0) {
    return {
      status: 'Fail',
      output: out,
      failure: 'the descriptor expects nothing: nothing was checked',
    };
  }
  for (const [k, type] of Object.entries(probe.expectedShape)) {
    if (jsonType(out[k]) !== type) {
      return {
        status: 'Fail',
        output: out,
        failure: `${k} is ${jsonType(out[k])}, expected ${type}`,
      };
    }
  }
  for (const [k, allowed] of expectations) {
    const v = out[k];
    if (!allowed.some((a) => a === v)) {
      return {
        status: 'Fail',
        output: out,
        failure: `${k} is ${JSON.stringify(v ?? null)}, expected one of ${JSON.stringify(allowed)}`,
      };
    }
  }
  return { status: 'Pass', output: out, failure: null };
}

/**
 * The evidence payload of one collection: one `controls` entry per control
 * and framework it belongs to (the agent's evidence probe reads those of
 * its framework), the normalised outputs and failures under `output`.
 * Aggregate status is Pass iff every control passed and there was one.
 */
export function evidencePayload(input: {
  readonly hostname: string;
  readonly bootId: string;
  readonly generationHash: string | null;
  readonly ts: string;
  readonly controls: readonly ComplianceControl[];
  readonly verdicts: ReadonlyMap<string, ControlVerdict>;
}): ProbePayload {
  const entries: ProbePayload['controls'] = [];
  const outputs: Record<string, Json> = {};
  let allPass = input.controls.length > 0;
  for (const c of [...input.controls].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const v = input.verdicts.get(c.id) ?? {
      status: 'Fail' as const,
      output: null,
      failure: 'not collected',
    };
    if (v.status !== 'Pass') allPass = false;
    for (const [framework, articles] of Object.entries(c.frameworks).sort()) {
      entries.push({
        controlId: c.id,
        status: v.status,
        framework,
        article: articles.length > 0 ? articles.join(' ') : null,
      });
    }
    outputs[c.id] = {
      schemaVersion: c.probe.schemaVersion,
      command: c.probe.command,
      output: v.output,
      failure: v.failure,
    };
  }
  return {
    schemaVersion: 1,
    hostname: input.hostname,
    bootId: input.bootId,
    generationHash: input.generationHash,
    ts: input.ts,
    rolloutId: null,
    probe: 'nixfleet-compliance',
    kind: 'evidence',
    // The collector observes; the agent's evidence-<framework> probes carry the gating mode.
    mode: 'observe',
    status: allPass ? 'Pass' : 'Fail',
    schema: 'nixfleet-compliance/v1',
    controls: entries,
    output: { controls: outputs },
  };
}
