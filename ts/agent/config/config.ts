// The agent's configuration: every flag of its table (flags.ts), mirrored by a
// NIXFLEET_AGENT_* environment variable, parsed and validated once into a
// frozen typed object (STYLE.md rule 6). Flag beats environment beats
// default. Secrets arrive as file paths only; relative ones are resolved
// against the working directory main.ts passes in, once, so a later chdir or
// a child process never sees them differently. Must never read files, argv,
// process.env or the working directory itself: main.ts passes them in.
import { isAbsolute, join, resolve } from 'node:path';
import { AgentError } from '../errors.ts';
import { parseDuration } from '../../core/duration.ts';
import { envOf } from '../../flags/spec.ts';
import { FLAGS, TIMING_FLAGS } from './flags.ts';
import type { AgentTimings } from './timings.ts';

/** Activation backends (docs/agent.md "Activation backends"). */
export type ActivationBackendName = 'nixos' | 'sandbox';

export type { AgentTimings } from './timings.ts';

/** The validated, frozen configuration. */
export interface AgentConfig {
  /** The first of {@link AgentConfig.controlPlaneUrls}. */
  readonly controlPlaneUrl: string;
  /** Control-plane origins in the order the agent tries them (≥ 1, no duplicates). */
  readonly controlPlaneUrls: readonly string[];
  /** Host name; must equal the client certificate CN. */
  readonly machineId: string;
  readonly trustFile: string;
  readonly caCert: string | null;
  /** Where the client certificate is read from (and written to by enrollment). */
  readonly clientCert: string;
  /** Client key file; `null`: the SSH host key is the TLS key. */
  readonly clientKey: string | null;
  readonly bootstrapTokenFile: string | null;
  readonly stateDir: string;
  readonly sshHostKeyFile: string;
  /** health-checks.json; `null`: the backend's default (docs/agent.md). */
  readonly healthChecksConfig: string | null;
  readonly activationBackend: ActivationBackendName;
  /** Binary caches, tried in order. */
  readonly cacheUrls: readonly string[];
  /** Sandbox backend: the simulated `/` holding profiles, run/ and the store. */
  readonly sandboxRoot: string;
  /** Nix store URI closures are copied into; `null`: the local default store. */
  readonly storeUri: string | null;
  readonly agentVersion: string;
  readonly logLevel: string;
  readonly timings: AgentTimings;
}

/** Raw option values as collected from argv (commander camelCase keys). */
export type RawOptions = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Default timings (CONTRACTS.md, RFC-0003 §5, §8), from the flag table. */
export const DEFAULT_AGENT_TIMINGS: AgentTimings = Object.freeze(
  Object.fromEntries(
    TIMING_FLAGS.map((f) => {
      const r = parseDuration(f.default as string, { bareUnit: 's' });
      if (!r.ok) throw new Error(`${f.flag}: default ${String(f.default)} ${r.message}`);
      return [f.timing, r.ms];
    }),
  ) as unknown as AgentTimings,
);

/** Option name (camelCase) → environment variable. */
function envName(option: string): string {
  return envOf('NIXFLEET_AGENT', option);
}

/** Every option name, in documentation order (for --help and docs). */
export const OPTION_NAMES: readonly string[] = FLAGS.map((f) => f.key);

/** The environment variable that mirrors a flag. */
export function environmentVariableFor(option: string): string {
  return envName(option);
}

/** The table's default of a flag that has one. */
function defaultOf(key: string): string {
  const d = FLAGS.find((f) => f.key === key)?.default;
  if (d === undefined) throw new Error(`agent flag ${key} has no default`);
  return d;
}

const HOSTNAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Parses flags (commander camelCase keys) and environment into a frozen
 * {@link AgentConfig}; throws `AGENT_ERR_CONFIG` naming the flag and its
 * variable on the first problem.
 *
 * @example
 *   const cfg = parseAgentConfig({ controlPlaneUrl: 'https://cp:8443', machineId: 'web-01' }, process.env);
 */
export function parseAgentConfig(
  options: RawOptions,
  env: Readonly<Record<string, string | undefined>>,
  defaults: {
    readonly agentVersion?: string;
    /** Base of relative paths; without it a relative path is refused. */
    readonly cwd?: string;
  } = {},
): AgentConfig {
  const pick = (name: string): string | undefined => {
    const v = options[name];
    if (typeof v === 'string' && v !== '') return v;
    if (Array.isArray(v) && v.length > 0) return v.join(',');
    const e = env[envName(name)];
    return e !== undefined && e !== '' ? e : undefined;
  };
  const fail = (name: string, why: string, reason?: string): never => {
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new AgentError('AGENT_ERR_CONFIG', `${flag} (${envName(name)}): ${why}`, {
      context: reason === undefined ? { option: name } : { option: name, reason },
    });
  };
  const required = (name: string): string => pick(name) ?? fail(name, 'is required');
  const path = (name: string, fallback: string | null): string | null => {
    const v = pick(name) ?? fallback;
    if (v === null || isAbsolute(v)) return v;
    if (defaults.cwd === undefined)
      fail(name, `relative path ${v} and no working directory to resolve it against`);
    return resolve(defaults.cwd as string, v);
  };

  const controlPlaneUrls: string[] = [];
  for (const text of required('controlPlaneUrl')
    .split(/[,\s]+/)
    .filter((x) => x !== '')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return fail('controlPlaneUrl', `not a URL: ${text}`);
    }
    if (url.protocol !== 'https:') {
      fail('controlPlaneUrl', `${text} must be an https:// URL (mTLS only)`);
    }
    if (!controlPlaneUrls.includes(url.origin)) controlPlaneUrls.push(url.origin);
  }
  if (controlPlaneUrls.length === 0) fail('controlPlaneUrl', 'is required');
  const machineId = required('machineId');
  if (!HOSTNAME_RE.test(machineId)) {
    fail('machineId', `not a valid host name: ${machineId}`);
  }
  const backend = pick('activationBackend') ?? defaultOf('activationBackend');
  if (backend !== 'nixos' && backend !== 'sandbox') {
    fail('activationBackend', `must be nixos or sandbox, got ${backend}`);
  }
  const stateDir = path('stateDir', defaultOf('stateDir')) as string;
  const cacheUrls = (pick('cacheUrl') ?? '').split(/[,\s]+/).filter((s) => s !== '');
  for (const c of cacheUrls) {
    if (!/^(https?|file|s3):\/\//.test(c)) fail('cacheUrl', `not a binary cache URL: ${c}`);
  }
  const timings: Record<string, number> = { ...DEFAULT_AGENT_TIMINGS };
  for (const f of TIMING_FLAGS) {
    const v = pick(f.key);
    if (v === undefined) continue;
    // Only the slack and the reconnect spread may be zero.
    const r = parseDuration(v, {
      bareUnit: f.unit ?? 's',
      minMs: f.timing === 'clockSkewSlackMs' || f.timing === 'reconnectSpreadMs' ? 0 : 1,
    });
    if (!r.ok) return fail(f.key, r.message, r.reason);
    timings[f.timing] = r.ms;
  }
  const sandboxRoot = path('sandboxRoot', join(stateDir, 'sandbox')) as string;
  const store = pick('store') ?? (backend === 'sandbox' ? `local?root=${sandboxRoot}` : null);
  return Object.freeze({
    controlPlaneUrl: controlPlaneUrls[0] as string,
    controlPlaneUrls: Object.freeze(controlPlaneUrls),
    machineId,
    trustFile: path('trustFile', defaultOf('trustFile')) as string,
    caCert: path('caCert', null),
    clientCert: path('clientCert', join(stateDir, 'tls', 'client.crt')) as string,
    clientKey: path('clientKey', null),
    bootstrapTokenFile: path('bootstrapTokenFile', null),
    stateDir,
    sshHostKeyFile: path('sshHostKeyFile', defaultOf('sshHostKeyFile')) as string,
    healthChecksConfig: path('healthChecksConfig', null),
    activationBackend: backend as ActivationBackendName,
    cacheUrls: Object.freeze(cacheUrls),
    sandboxRoot,
    storeUri: store,
    agentVersion: defaults.agentVersion ?? '0.2.0',
    logLevel: pick('logLevel') ?? defaultOf('logLevel'),
    timings: Object.freeze(timings as unknown as AgentTimings),
  });
}
