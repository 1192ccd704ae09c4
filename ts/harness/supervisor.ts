// Real processes for the harness: the control plane and one agent per host,
// each with its log in a file. Owns spawning (optionally inside a network
// namespace), killing with a signal, restarting with the same argv, and
// stopping everything at the end — a run never leaves processes behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** How to (re)start a process. */
export interface ProcessSpec {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly logFile: string;
}

/** A supervised process. */
export interface Supervised {
  readonly spec: ProcessSpec;
  child: ChildProcess | null;
  exits: { code: number | null; signal: string | null }[];
}

/** Spawns, kills and restarts named processes; `stopAll` ends every one. */
export class Supervisor {
  private readonly procs = new Map<string, Supervised>();

  start(spec: ProcessSpec): Supervised {
    const existing = this.procs.get(spec.name);
    if (existing?.child && existing.child.exitCode === null && existing.child.signalCode === null) {
      throw new Error(`${spec.name} is already running`);
    }
    const fd = openSync(spec.logFile, 'a');
    const [cmd, ...args] = spec.argv;
    const child = spawn(cmd!, args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', fd, fd],
      detached: false,
    });
    closeSync(fd);
    const entry: Supervised = existing ?? { spec, child: null, exits: [] };
    entry.child = child;
    child.on('exit', (code, signal) => entry.exits.push({ code, signal }));
    this.procs.set(spec.name, entry);
    return entry;
  }

  running(name: string): boolean {
    const c = this.procs.get(name)?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** Sends a signal and waits (bounded) for the process to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    const c = this.procs.get(name)?.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((ok) => c.once('exit', () => ok()));
    c.kill(signal);
    const timer = new Promise<void>((ok) => setTimeout(ok, timeoutMs));
    await Promise.race([exited, timer]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
  }

  /** Restarts with the spec it was started with. */
  async restart(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p) throw new Error(`unknown process ${name}`);
    await this.kill(name, 'SIGTERM');
    this.start(p.spec);
  }

  /** The last `lines` lines of a process's log. */
  tail(name: string, lines = 30): string {
    const p = this.procs.get(name);
    if (!p) return '';
    try {
      return readFileSync(p.spec.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '';
    }
  }

  names(): string[] {
    return [...this.procs.keys()];
  }

  /** Terminates every process (SIGTERM, then SIGKILL after the deadline). */
  async stopAll(deadlineMs = 5_000): Promise<void> {
    await Promise.all(this.names().map((n) => this.kill(n, 'SIGTERM', deadlineMs)));
  }
}
