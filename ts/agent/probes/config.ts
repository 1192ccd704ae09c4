// health-checks.json (RFC-0007 §5): the probe set rendered into the closure.
// Owns reading and validating the file against the `health-checks` contract
// and deriving the declared topology. A missing file is reported as absent
// (the scheduler checks it against the signed probe set: absent is an empty
// set only when nothing is signed); an invalid one is an error (the runtime
// then declares nothing, which holds the wave on "awaiting probe topology"
// rather than passing unprobed).
import { readFileSync } from 'node:fs';
import {
  formatIssues,
  validateContract,
  type EvidenceProbeResolved,
  type ExecProbeResolved,
  type HttpProbeResolved,
  type TcpProbeResolved,
} from '../../contracts/index.ts';
import type { ProbeDecl } from '../../core/index.ts';
import { AgentError } from '../errors.ts';
import type { HealthGateProbe } from './health-gate.ts';

/** One declared probe with its name: from health-checks.json, or the signed health gate. */
export type ProbeSpec =
  | ({ readonly name: string } & (
      HttpProbeResolved | TcpProbeResolved | ExecProbeResolved | EvidenceProbeResolved
    ))
  | HealthGateProbe;

/** The loaded probe set. */
export interface ProbeSet {
  readonly path: string;
  /** `false` when the file does not exist (an empty set). */
  readonly present: boolean;
  /** Sorted by name. */
  readonly probes: readonly ProbeSpec[];
  /** The file's `probes` as written (compared with the signed set); `{}` when absent. */
  readonly byName: Readonly<Record<string, unknown>>;
}

/**
 * Loads and validates health-checks.json. Throws AGENT_ERR_PROBES_CONFIG
 * when the file exists but is not the contract or names another host.
 *
 * @example const set = loadProbeSet('/etc/nixfleet/agent/health-checks.json', 'web-01');
 */
export function loadProbeSet(path: string, hostname: string): ProbeSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { path, present: false, probes: [], byName: {} };
    throw new AgentError(
      'AGENT_ERR_PROBES_CONFIG',
      `cannot read ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AgentError('AGENT_ERR_PROBES_CONFIG', `${path} is not JSON`, { cause: e });
  }
  const v = validateContract('health-checks', value);
  if (!v.ok) {
    throw new AgentError(
      'AGENT_ERR_PROBES_CONFIG',
      `${path} is not a health-checks file: ${formatIssues(v.errors)}`,
    );
  }
  if (v.value.hostname !== hostname) {
    throw new AgentError(
      'AGENT_ERR_PROBES_CONFIG',
      `${path} was rendered for ${v.value.hostname}, not ${hostname}`,
    );
  }
  const probes = Object.entries(v.value.probes)
    .map(([name, p]) => ({ name, ...p }) as ProbeSpec)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { path, present: true, probes, byName: v.value.probes };
}

/** The topology the agent commits to (RFC-0007 §8.1), every declared probe. */
export function topologyOf(set: ProbeSet): ProbeDecl[] {
  return set.probes.map((p) => ({ name: p.name, kind: p.kind, mode: p.mode }));
}
