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
 * Forks one generator process (with `nodeFlags`); any failure of it ends the
 * benchmark (a partial fleet measures nothing) unless `closing()` says the
 * run is over.
 */
export function startGenerator(nodeFlags: readonly string[], closing: () => boolean): Generator {
  const proc = fork(fileURLToPath(new URL('./generator.ts', import.meta.url)), [], {
    execArgv: [...nodeFlags, '--import', 'tsx'],
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
