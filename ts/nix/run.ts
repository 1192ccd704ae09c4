// The one place that runs `nix*` commands. Owns: argv construction (never a
// shell string), timeouts, output limits, and turning Nix's failures into typed
// values that carry Nix's own error text. Must never: interpolate user input
// into a shell, or decide what a failure means for the caller.
import { spawn } from 'node:child_process';

/** Experimental features every `nix` (new CLI) call needs on Nix 2.8. */
export const NIX_FEATURES = 'nix-command';

/** How a Nix command ended when it did not succeed. */
export type NixFailureKind = 'exit' | 'timeout' | 'spawn' | 'output-limit' | 'bad-json';

/** A failed Nix invocation; `stderr` holds Nix's own message. */
export interface NixFailure {
  readonly ok: false;
  readonly kind: NixFailureKind;
  readonly command: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly message: string;
}

/** A successful Nix invocation. */
export interface NixSuccess<T> {
  readonly ok: true;
  readonly value: T;
  readonly stderr: string;
}

export type NixResult<T> = NixSuccess<T> | NixFailure;

/** Options for {@link runNix}. */
export interface RunNixOptions {
  /** Kill the process after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Extra environment; merged over the current one. */
  readonly env?: Readonly<Record<string, string>>;
  /** Bytes written to stdin. */
  readonly input?: string | Uint8Array;
  /** Refuse stdout beyond this many bytes (default 256 MiB). */
  readonly maxOutputBytes?: number;
}

/**
 * Runs `program args…` without a shell and collects its output.
 *
 * @example
 *   const r = await runNix('nix-instantiate', ['--eval', '--strict', '--json', 'f.nix']);
 *   if (!r.ok) console.error(r.stderr);
 */
export function runNix(
  program: string,
  args: readonly string[],
  options: RunNixOptions = {},
): Promise<NixResult<string>> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxOut = options.maxOutputBytes ?? 256 * 1024 * 1024;
  const command = [program, ...args];
  return new Promise((resolve) => {
    const env = { ...process.env, ...options.env };
    // Nix 2.8 needs the flag for the new CLI; keep any config the caller set.
    const cfg = env['NIX_CONFIG'] ?? '';
    if (!/experimental-features/.test(cfg)) {
      env['NIX_CONFIG'] = `${cfg}\nexperimental-features = ${NIX_FEATURES}`.trim();
    }
    let child;
    try {
      child = spawn(program, [...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve(failure('spawn', command, null, '', `could not start ${program}: ${String(err)}`));
      return;
    }
    const out: Buffer[] = [];
    const errChunks: Buffer[] = [];
    let outBytes = 0;
    let settled = false;
    const finish = (r: NixResult<string>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(
        failure(
          'timeout',
          command,
          null,
          stderrText(),
          `${program} timed out after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const stderrText = (): string => Buffer.concat(errChunks).toString('utf8');
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxOut) {
        child.kill('SIGKILL');
        finish(
          failure(
            'output-limit',
            command,
            null,
            stderrText(),
            `${program} printed more than ${maxOut} bytes`,
          ),
        );
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      // Keep the tail only: evaluation traces can be huge.
      errChunks.push(b);
      if (errChunks.length > 256) errChunks.splice(0, errChunks.length - 256);
    });
    child.on('error', (err) => {
      finish(
        failure('spawn', command, null, stderrText(), `could not start ${program}: ${err.message}`),
      );
    });
    child.on('close', (code) => {
      const stderr = stderrText();
      if (code === 0) finish({ ok: true, value: Buffer.concat(out).toString('utf8'), stderr });
      else
        finish(
          failure(
            'exit',
            command,
            code,
            stderr,
            `${program} exited with ${code}: ${lastError(stderr)}`,
          ),
        );
    });
    child.stdin.on('error', () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/**
 * Evaluates a Nix expression file strictly and parses its JSON output.
 * `args` are passed as `--arg`/`--argstr` pairs by the caller.
 */
export async function nixEvalJson<T = unknown>(
  file: string,
  options: RunNixOptions & { readonly attr?: string; readonly extraArgs?: readonly string[] } = {},
): Promise<NixResult<T>> {
  const args = ['--eval', '--strict', '--json', ...(options.extraArgs ?? []), file];
  if (options.attr) args.push('-A', options.attr);
  return parseJsonResult<T>(await runNix('nix-instantiate', args, options));
}

/** Evaluates a Nix expression given as a string (passed as one argv item, never through a shell). */
export async function nixEvalExprJson<T = unknown>(
  expr: string,
  options: RunNixOptions & { readonly extraArgs?: readonly string[] } = {},
): Promise<NixResult<T>> {
  const args = ['--eval', '--strict', '--json', ...(options.extraArgs ?? []), '--expr', expr];
  return parseJsonResult<T>(await runNix('nix-instantiate', args, options));
}

function parseJsonResult<T>(r: NixResult<string>): NixResult<T> {
  if (!r.ok) return r;
  try {
    return { ok: true, value: JSON.parse(r.value) as T, stderr: r.stderr };
  } catch (err) {
    return failure(
      'bad-json',
      ['nix-instantiate'],
      0,
      r.stderr,
      `Nix printed invalid JSON: ${String(err)}`,
    );
  }
}

/** The last `error:` paragraph of Nix's stderr, which is what a human needs first. */
export function lastError(stderr: string): string {
  const idx = stderr.lastIndexOf('error:');
  const text = (idx >= 0 ? stderr.slice(idx) : stderr).trim();
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

function failure(
  kind: NixFailureKind,
  command: readonly string[],
  exitCode: number | null,
  stderr: string,
  message: string,
): NixFailure {
  return { ok: false, kind, command, exitCode, stderr, message };
}
