// Secret hygiene for the harness (scenario secret-hygiene): the runner plays
// the secret author — it makes one random plaintext per (host, secret),
// encrypts it with `age` to the host's OpenSSH ed25519 host key (as agenix
// does) and hands only the ciphertext to the generation, which ships it in
// the store and decrypts it in the switch, on the host. The plaintext never
// touches the runner's disk; `checkSecretsConfined` then scans every byte the
// run produced (CP database and WAL, issuance log, process logs, release
// directory, binary cache with its NARs decompressed, every host's state and
// store) and finds the plaintext only where the host decrypted it.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { HarnessScenario } from '../contracts/index.ts';
import type { RunFixtures } from './fixtures.ts';

/** One host's secret: plaintext in memory only, ciphertext on disk. */
export interface HostSecret {
  readonly host: string;
  readonly name: string;
  readonly plaintext: string;
  readonly ciphertextFile: string;
  /** Where the host holds it, relative to its state directory (default AGENIX_DIR/name). */
  readonly onHost?: string;
}

/** Where a host decrypts its secrets, relative to the host's state directory. */
export const AGENIX_DIR = 'sandbox/run/agenix';

/** (host, secret name) pairs any generation of the scenario ships. */
export function declaredSecrets(scenario: HarnessScenario, hosts: readonly string[]): string[][] {
  const out = new Set<string>();
  for (const gen of Object.values(scenario.generations)) {
    for (const h of hosts) {
      const b = gen.hosts?.[h] ?? gen.default;
      for (const name of b?.secrets ?? []) out.add(`${h}\u0000${name}`);
    }
  }
  return [...out].sort().map((k) => k.split('\u0000'));
}

function ageEncrypt(recipientFile: string, out: string, plaintext: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = execFile('age', ['--encrypt', '-R', recipientFile, '-o', out], (e, _o, err) =>
      e ? fail(new Error(`age --encrypt failed: ${err.trim() || e.message}`)) : ok(),
    );
    child.stdin?.end(plaintext);
  });
}

/**
 * Encrypts every declared secret to its host's SSH host key, installs the
 * host key where the host's switch finds it (`<root>/etc/ssh/…`, the
 * sandbox's `/`), and adds `secrets.<host>.<name>` (ciphertext paths) to the
 * runner file generation.nix reads. Returns [] when the scenario ships none.
 */
export async function prepareSecrets(options: {
  readonly scenario: HarnessScenario;
  readonly fixtures: RunFixtures;
  readonly workDir: string;
  readonly hosts: readonly string[];
}): Promise<HostSecret[]> {
  const pairs = declaredSecrets(options.scenario, options.hosts);
  if (pairs.length === 0) return [];
  const out: HostSecret[] = [];
  const byHost: Record<string, Record<string, string>> = {};
  for (const [host, name] of pairs as [string, string][]) {
    const fx = options.fixtures.hosts.get(host);
    if (!fx) throw new Error(`secret ${name}: unknown host ${host}`);
    const dir = join(options.workDir, 'secrets', host);
    mkdirSync(dir, { recursive: true });
    const ciphertextFile = join(dir, `${name}.age`);
    // Hex only: it survives JSON, logs and SQL unchanged, so the scan below
    // cannot miss an escaped copy.
    const plaintext = `nfsecret-${host}-${name}-${randomBytes(24).toString('hex')}`;
    await ageEncrypt(`${fx.sshKeyFile}.pub`, ciphertextFile, plaintext);
    out.push({ host, name, plaintext, ciphertextFile });
    (byHost[host] ??= {})[name] = ciphertextFile;
    const etc = join(options.workDir, 'hosts', host, 'sandbox/etc/ssh');
    mkdirSync(etc, { recursive: true });
    copyFileSync(fx.sshKeyFile, join(etc, 'ssh_host_ed25519_key'));
  }
  const runner = JSON.parse(readFileSync(options.fixtures.runnerFile, 'utf8')) as Record<
    string,
    unknown
  >;
  writeFileSync(
    options.fixtures.runnerFile,
    JSON.stringify({ ...runner, secrets: byHost }, null, 2),
  );
  return out;
}

/** The byte patterns that betray a plaintext: raw, hex, and base64 at every alignment. */
export function plaintextPatterns(plaintext: string): Buffer[] {
  const raw = Buffer.from(plaintext, 'utf8');
  const pats = [
    raw,
    Buffer.from(raw.toString('hex')),
    Buffer.from(raw.toString('hex').toUpperCase()),
  ];
  for (let shift = 0; shift < 3; shift++) {
    // The characters of base64 that depend only on the plaintext's own bytes.
    const b64 = raw.subarray(shift).toString('base64').replace(/=+$/, '');
    pats.push(Buffer.from(b64.slice(0, Math.floor((b64.length - 4) / 4) * 4)));
  }
  return pats.filter((p) => p.length >= 16);
}

/** A file's bytes as a reader of its format would see them (NARs decompressed). */
function contentOf(path: string): Buffer {
  const bytes = readFileSync(path);
  if (path.endsWith('.xz')) return execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 30 });
  if (path.endsWith('.bz2')) return execFileSync('bzip2', ['-dc', path], { maxBuffer: 1 << 30 });
  if (path.endsWith('.zst')) return execFileSync('zstd', ['-dc', path], { maxBuffer: 1 << 30 });
  if (path.endsWith('.gz')) return gunzipSync(bytes);
  return bytes;
}

function* filesUnder(dir: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    const st = lstatSync(p);
    if (st.isDirectory()) yield* filesUnder(p);
    else if (st.isFile()) yield p;
  }
}

/** What a scan found. */
export interface SecretScan {
  readonly filesScanned: number;
  readonly bytesScanned: number;
  readonly violations: string[];
}

/**
 * Invariant `secretsConfined`: each host holds its own plaintext at
 * `<host>/sandbox/run/agenix/<name>` (decrypted there, on the host), and no
 * other byte of the run — CP state dir (database, WAL, issuance log), every
 * process log, the release directory, the binary cache (decompressed), any
 * host's store or state — contains any plaintext in any encoding. Fails when
 * the scenario ships no secret (nothing to prove) or a file cannot be read.
 */
export function checkSecretsConfined(secrets: readonly HostSecret[], workDir: string): SecretScan {
  const violations: string[] = [];
  if (secrets.length === 0) {
    return {
      filesScanned: 0,
      bytesScanned: 0,
      violations: ['secretsConfined: the scenario ships no secret — nothing to check'],
    };
  }
  const allowed = new Map<string, HostSecret>();
  for (const s of secrets) {
    const where = join(workDir, 'hosts', s.host, s.onHost ?? join(AGENIX_DIR, s.name));
    allowed.set(where, s);
    let held: string | null = null;
    try {
      held = readFileSync(where, 'utf8');
    } catch {
      /* reported below */
    }
    if (held !== s.plaintext) {
      violations.push(
        `secret ${s.name} of ${s.host} is not decrypted on the host: ${held === null ? `${relative(workDir, where)} is absent` : `${relative(workDir, where)} holds other bytes`}`,
      );
    }
  }
  const patterns = secrets.map((s) => ({ s, pats: plaintextPatterns(s.plaintext) }));
  let files = 0;
  let bytes = 0;
  for (const file of filesUnder(workDir)) {
    let content: Buffer;
    try {
      content = contentOf(file);
    } catch (e) {
      violations.push(`cannot scan ${relative(workDir, file)}: ${(e as Error).message}`);
      continue;
    }
    files++;
    bytes += content.length;
    for (const { s, pats } of patterns) {
      if (allowed.get(file) === s) continue;
      const hit = pats.findIndex((p) => content.includes(p));
      if (hit >= 0) {
        violations.push(
          `PLAINTEXT of secret ${s.name} (host ${s.host}) found in ${relative(workDir, file)}${hit === 0 ? '' : ' (encoded)'}`,
        );
      }
    }
  }
  if (files === 0) violations.push(`secretsConfined: no file scanned under ${workDir}`);
  return { filesScanned: files, bytesScanned: bytes, violations };
}

/**
 * The tokens hosts created at activation (`activationTokens`), read back
 * from each host's sandbox after the run: the plaintext the scan then
 * requires nowhere else. A token that is missing, not 64 hex characters or
 * not mode 0600 is reported as a violation.
 */
export function activationTokens(
  scenario: HarnessScenario,
  hosts: readonly string[],
  workDir: string,
): { readonly secrets: HostSecret[]; readonly violations: string[] } {
  const secrets: HostSecret[] = [];
  const violations: string[] = [];
  const seen = new Set<string>();
  for (const gen of Object.values(scenario.generations)) {
    for (const h of hosts) {
      for (const path of (gen.hosts?.[h] ?? gen.default)?.activationTokens ?? []) {
        if (seen.has(`${h}${path}`)) continue;
        seen.add(`${h}${path}`);
        const onHost = join('sandbox', path);
        const file = join(workDir, 'hosts', h, onHost);
        try {
          const token = readFileSync(file, 'utf8');
          const mode = lstatSync(file).mode & 0o777;
          if (!/^[0-9a-f]{64}$/.test(token))
            violations.push(`token ${path} of ${h} is not 64 hex characters`);
          if (mode !== 0o600)
            violations.push(`token ${path} of ${h} has mode ${mode.toString(8)}, not 600`);
          secrets.push({ host: h, name: path, plaintext: token, ciphertextFile: '', onHost });
        } catch {
          violations.push(
            `token ${path} of ${h} was not created on the host (${relative(workDir, file)})`,
          );
        }
      }
    }
  }
  return { secrets, violations };
}
