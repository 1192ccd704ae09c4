// The producer hook contract (Boundary contracts §I.1, binding): --push-cmd
// once per built closure with NIXFLEET_HOST / NIXFLEET_PATH /
// NIXFLEET_CLOSURE_HASH; --sign-cmd once per artifact with NIXFLEET_INPUT
// (file of canonical bytes) and NIXFLEET_OUTPUT (file the hook writes the raw
// signature to). Hook commands are operator-supplied shell strings by
// contract, so they run under /bin/sh -c with cwd = the invocation's cwd.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from './errors.ts';

interface HookResult {
  readonly code: number | null;
  readonly output: string;
}

function runHook(
  command: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    const keep = (b: Buffer): void => {
      chunks.push(b);
      if (chunks.length > 64) chunks.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8').trim().slice(-2000) });
    });
  });
}

/** Runs the push hook for one closure; a non-zero exit aborts the release. */
export async function pushClosure(
  command: string,
  host: string,
  storePath: string,
  timeoutMs = 3_600_000,
): Promise<void> {
  const closureHash = storePath.slice(storePath.lastIndexOf('/') + 1);
  const r = await runHook(
    command,
    { NIXFLEET_HOST: host, NIXFLEET_PATH: storePath, NIXFLEET_CLOSURE_HASH: closureHash },
    timeoutMs,
  );
  if (r.code !== 0) {
    throw new ReleaseError(
      'RELEASE_ERR_PUSH_HOOK',
      `--push-cmd failed for host ${host} (${closureHash}), exit ${r.code ?? 'killed'}${r.output ? `:\n${r.output}` : ''}`,
      {
        context: { host, closureHash, exitCode: r.code },
      },
    );
  }
}

/** Runs the sign hook over canonical bytes and returns the raw signature it wrote. */
export async function signWithHook(
  command: string,
  artifact: string,
  canonical: Uint8Array,
  timeoutMs = 600_000,
): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-sign-'));
  try {
    const input = join(dir, 'input');
    const output = join(dir, 'output');
    writeFileSync(input, canonical, { mode: 0o600 });
    const r = await runHook(command, { NIXFLEET_INPUT: input, NIXFLEET_OUTPUT: output }, timeoutMs);
    if (r.code !== 0) {
      throw new ReleaseError(
        'RELEASE_ERR_SIGN_HOOK',
        `--sign-cmd failed for ${artifact}, exit ${r.code ?? 'killed'}${r.output ? `:\n${r.output}` : ''}`,
        { context: { artifact } },
      );
    }
    if (!existsSync(output)) {
      throw new ReleaseError(
        'RELEASE_ERR_SIGN_HOOK',
        `--sign-cmd for ${artifact} exited 0 but wrote no signature to NIXFLEET_OUTPUT`,
        { context: { artifact } },
      );
    }
    const sig = new Uint8Array(readFileSync(output));
    if (sig.length === 0) {
      throw new ReleaseError(
        'RELEASE_ERR_SIGN_HOOK',
        `--sign-cmd for ${artifact} wrote an empty signature`,
        { context: { artifact } },
      );
    }
    return sig;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
