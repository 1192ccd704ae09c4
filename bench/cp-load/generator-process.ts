// The cp-load benchmark's side of its generator processes
// (generator.ts): fork one, send it orders and await its replies over IPC
// (protocol.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromGenerator, ToGenerator } from './protocol.ts';

export interface Generator {
  readonly proc: ChildProcess;
  /** Agents of this generator that converged so far (its last progress report). */
  converged: number;
  send(m: ToGenerator): void;
  /** Sends `m` and resolves with the generator's next `reply` message. */
  ask<T extends FromGenerator['t']>(
    m: ToGenerator,
    reply: T,
  ): Promise<Extract<FromGenerator, { t: T }>>;
}

/**
 * Forks one generator process (with `nodeFlags`) at niceness `nice`; any
 * failure of it ends the benchmark (a partial fleet measures nothing) unless
 * `closing()` says the run is over. A positive `nice` starts it under
 * coreutils' `nice`, so every thread of the process (V8's GC helpers too,
 * which a later setpriority on the pid would miss: on Linux it is per
 * thread) yields the CPU to the CP, as agents on other machines would.
 */
export function startGenerator(
  nodeFlags: readonly string[],
  closing: () => boolean,
  nice = 0,
): Generator {
  const execArgv = [...nodeFlags, '--import', 'tsx'];
  const proc = fork(fileURLToPath(new URL('./generator.ts', import.meta.url)), [], {
    ...(nice > 0
      ? { execPath: 'nice', execArgv: ['-n', String(nice), process.execPath, ...execArgv] }
      : { execArgv }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, ((m: FromGenerator) => void)[]>();
  const g: Generator = {
    proc,
    converged: 0,
    send: (m) => void proc.send(m),
    ask(m, reply) {
      return new Promise((resolve) => {
        const q = waiting.get(reply) ?? [];
        q.push(resolve as (m: FromGenerator) => void);
        waiting.set(reply, q);
        proc.send(m);
      });
    },
  };
  proc.on('message', (m: FromGenerator) => {
    if (m.t === 'progress') {
      g.converged = m.converged;
    } else if (m.t === 'error') {
      console.error(`generator ${proc.pid}: ${m.message}`);
      process.exit(1);
    } else {
      waiting.get(m.t)?.shift()?.(m);
    }
  });
  proc.on('exit', (code, signal) => {
    if (closing()) return;
    console.error(`generator ${proc.pid} exited (${code ?? signal}) mid-run`);
    process.exit(1);
  });
  return g;
}
