// `nixfleet host add <name>`: everything the fleet needs to take a new host,
// in one command. The host's entry goes into the fleet's `hosts.json` (a
// JSON list fleet.nix reads with builtins.fromJSON, written whole through a
// rename, so no Nix file is ever edited by a program) or is printed to paste;
// its SSH host key is generated into the directory the operator provisions
// the machine from (or the token is bound to the key the host already has,
// --pubkey-file); its bootstrap token is minted by the same code as
// `mint-token`, with its nonce appended to the fleet's bootstrapNonces list.
// Every input is read and checked before the first byte is written.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateContract, type FleetResolved } from '../../contracts/index.ts';
import { absolutePath } from '../config/config-file.ts';
import { CliError } from '../errors.ts';
import { readJsonList, writeJsonList } from '../fleet/json-list.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  fingerprintFromSsh,
  mintFor,
  mintInputs,
  nonceNotice,
  recordNonce,
  validityOf,
  type MintInputOptions,
} from './mint-token.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';

/** Options of {@link hostAddCommand}. */
export interface HostAddOptions extends MintInputOptions {
  readonly tags?: string;
  readonly channel?: string;
  readonly fleetResolved?: string;
  readonly write?: string;
  readonly out?: string;
  readonly pubkeyFile?: string;
}

/** A host entry of the fleet's hosts.json. */
export interface HostEntry {
  readonly hostname: string;
  readonly channel: string;
  readonly tags: readonly string[];
  readonly pubkey: string;
}

const HOSTNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TAG = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** More tags than this is a typo (a pasted list), not a host's roles. */
const MAX_TAGS = 32;
const KEY_FILE = 'ssh_host_ed25519_key';

const usage = (message: string, hint?: string): CliError =>
  new CliError('CLI_ERR_USAGE', message, hint === undefined ? {} : { hint });

/** The tags of `--tags a,b`: each a tag name, at most {@link MAX_TAGS}, no repeats. */
export function parseTags(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const tags = text.split(',').map((t) => t.trim());
  if (tags.length > MAX_TAGS) {
    throw usage(
      `--tags: ${tags.length} tags, at most ${MAX_TAGS}`,
      'a tag is a role hosts share (a policy selects on it); keep the list short',
    );
  }
  for (const t of tags) {
    if (!TAG.test(t)) {
      throw usage(
        `--tags: ${JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t)} is not a tag name ([a-z0-9][a-z0-9._-]*, at most 63 characters)`,
        'separate tags with commas: --tags agent,canary',
      );
    }
  }
  if (new Set(tags).size !== tags.length)
    throw usage(`--tags: ${text} names a tag twice`, 'name each tag once');
  return tags;
}

function readResolved(ctx: OperatorCtx, flag: string | undefined): FleetResolved {
  if (flag === undefined) {
    throw usage(
      'no --fleet-resolved: the host names in use and the channels come from the last release',
      'pass --fleet-resolved <release dir>/fleet.resolved.json (the release the CP serves); release first if the fleet has none',
    );
  }
  const path = absolutePath(flag, ctx.cwd, ctx.env['HOME']);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError('CLI_ERR_CONFIG_IO', `--fleet-resolved ${path}: ${(e as Error).message}`, {
      hint: 'pass the fleet.resolved.json of the latest release directory',
      context: { path },
      cause: e,
    });
  }
  const v = validateContract('fleet-resolved', doc);
  if (!v.ok) {
    throw usage(
      `--fleet-resolved ${path}: not a fleet.resolved document (${v.errors[0]?.path}: ${v.errors[0]?.message})`,
      'pass the fleet.resolved.json of the latest release directory',
    );
  }
  return v.value;
}

/** The channel the host joins: --channel if the fleet has it, else the fleet's only one. */
function channelOf(resolved: FleetResolved, flag: string | undefined): string {
  const known = Object.keys(resolved.channels).sort();
  if (flag === undefined) {
    if (known.length === 1) return known[0] as string;
    throw usage(
      `no --channel and the fleet has ${known.length} channels`,
      `pass --channel (one of: ${known.join(', ') || 'none declared'})`,
    );
  }
  if (!known.includes(flag)) {
    throw new CliError(
      'CLI_ERR_CHANNEL_UNKNOWN',
      `channel ${JSON.stringify(flag)} is not declared by the fleet`,
      {
        hint: `use one of: ${known.join(', ') || 'none'}; a new channel is declared in fleet.nix and released first`,
        context: { channel: flag, channels: known },
      },
    );
  }
  return flag;
}

/** The entry as Nix, for a fleet.nix that declares its hosts inline. */
export function hostSnippet(e: HostEntry): string {
  return [
    `${e.hostname} = {`,
    `  channel = ${JSON.stringify(e.channel)};`,
    `  tags = [ ${e.tags.map((t) => `${JSON.stringify(t)} `).join('')}];`,
    `  pubkey = ${JSON.stringify(e.pubkey)};`,
    '};',
  ].join('\n');
}

/** Refuses output files that exist and a directory that cannot be written. */
function prepareOut(out: string, files: readonly string[]): void {
  for (const f of files) {
    if (existsSync(join(out, f))) {
      throw new CliError('CLI_ERR_EXISTS', `${join(out, f)} exists`, {
        hint: 'a host is provisioned once: remove the old files (and revoke the old host, `nixfleet host revoke`) or choose another --out',
        context: { path: join(out, f) },
      });
    }
  }
  try {
    mkdirSync(out, { recursive: true, mode: 0o700 });
    accessSync(out, constants.W_OK);
  } catch (e) {
    throw new CliError('CLI_ERR_CONFIG_IO', `--out ${out}: ${(e as Error).message}`, {
      hint: 'choose a directory you can write (where this host is provisioned from)',
      context: { path: out },
      cause: e,
    });
  }
}

function generateHostKey(out: string, host: string): string {
  const key = join(out, KEY_FILE);
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host}`, '-f', key], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `ssh-keygen for ${key}: ${(e as Error).message}`, {
      hint: 'install OpenSSH (ssh-keygen), or pass --pubkey-file with the key the host already has',
      cause: e,
    });
  }
  return readFileSync(`${key}.pub`, 'utf8').trim();
}

function readPubkey(ctx: OperatorCtx, flag: string): string {
  const path = absolutePath(flag, ctx.cwd, ctx.env['HOME']);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `--pubkey-file ${path}: ${(e as Error).message}`, {
      hint: "pass the host's /etc/ssh/ssh_host_ed25519_key.pub, or leave the flag out to generate a key",
      cause: e,
    });
  }
}

/**
 * Adds host `name`: checks, then writes key, token, nonce and entry.
 *
 * @example hostAddCommand(ctx, 'agent-17', { tags: 'agent', fleetResolved: 'releases/fleet.resolved.json', trust: 'trust.json', write: 'hosts.json', noncesFile: 'nonces.json' })
 */
export function hostAddCommand(ctx: OperatorCtx, name: string, o: HostAddOptions): ExitCode {
  try {
    // A usage error before any file is read (docs/operators.md "Durations").
    validityOf(o.validity);
    if (!HOSTNAME.test(name)) {
      throw usage(
        `${JSON.stringify(name)} is not a host name ([a-z0-9][a-z0-9._-]*, at most 63 characters)`,
        'lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
      );
    }
    const tags = parseTags(o.tags);
    const resolved = readResolved(ctx, o.fleetResolved);
    if (resolved.hosts[name] !== undefined) {
      throw new CliError(
        'CLI_ERR_HOST_EXISTS',
        `${name} is already a host of the fleet (${o.fleetResolved})`,
        {
          hint: `choose another name; to re-provision ${name}, \`nixfleet host revoke ${name}\` and re-enroll it (docs/operators.md)`,
          context: { host: name },
        },
      );
    }
    const channel = channelOf(resolved, o.channel);
    const write = o.write === undefined ? null : absolutePath(o.write, ctx.cwd, ctx.env['HOME']);
    const hosts = write === null ? null : readJsonList(write, '--write');
    if (hosts?.some((h) => h['hostname'] === name)) {
      throw new CliError(
        'CLI_ERR_HOST_EXISTS',
        `${name} is already in ${write} (not yet released)`,
        {
          hint: 'choose another name, or release the fleet and provision the host already added',
          context: { host: name },
        },
      );
    }
    if (o.trust === undefined) {
      throw usage(
        'no --trust: the token is checked with the verifier the CP runs before anything is written',
        "pass the fleet's trust.json",
      );
    }
    const m = mintInputs(ctx, o);
    // A key the host already has is read and checked before the directory exists.
    const given = o.pubkeyFile === undefined ? null : readPubkey(ctx, o.pubkeyFile);
    if (given !== null) fingerprintFromSsh(given, `--pubkey-file ${o.pubkeyFile}`);
    const out = absolutePath(o.out ?? join('hosts', name), ctx.cwd, ctx.env['HOME']);
    prepareOut(out, given === null ? [KEY_FILE, `${KEY_FILE}.pub`, 'token.json'] : ['token.json']);
    const pubkey = given ?? generateHostKey(out, name);
    const fingerprint = fingerprintFromSsh(pubkey, o.pubkeyFile ?? join(out, `${KEY_FILE}.pub`));
    const token = mintFor(m, name, fingerprint);
    const tokenFile = join(out, 'token.json');
    try {
      writeFileSync(tokenFile, `${JSON.stringify(token, null, 2)}\n`, { mode: 0o600 });
    } catch (e) {
      throw new CliError('CLI_ERR_CONFIG_IO', `writing ${tokenFile}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    recordNonce(m, token);
    const entry: HostEntry = {
      hostname: name,
      channel,
      tags,
      pubkey: pubkey.split(/\s+/).slice(0, 2).join(' '),
    };
    if (write !== null && hosts !== null) {
      writeJsonList(write, [...hosts, { ...entry }]);
    } else {
      ctx.io.stdout(`${hostSnippet(entry)}\n`);
    }
    ctx.io.stderr(
      [
        `${name}: channel ${channel}${tags.length > 0 ? `, tags ${tags.join(', ')}` : ''}`,
        o.pubkeyFile === undefined
          ? `host key: ${join(out, KEY_FILE)} (install as /etc/ssh/${KEY_FILE} on the host)`
          : `token bound to the host key in ${o.pubkeyFile}`,
        `bootstrap token: ${tokenFile} (the agent's --bootstrap-token-file)`,
        write !== null
          ? `entry added to ${write} (fleet.nix hosts)`
          : 'Add the entry above to fleet.nix `hosts`.',
        nonceNotice(m, token),
      ].join('\n'),
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'host add', e);
  }
}
