// vitest global setup (vitest.config.ts): a test file whose worker died
// (a crash, a kill, a timeout that ended the fork) never ran its afterAll,
// and the PostgreSQL server it started would outlive the run. Every cluster
// started under this runner is stopped and removed at teardown; a run that
// ends without one (vitest gives up on a worker's crash) leaves them to the
// next run, whose setup removes those of every runner that is gone.
import { leftoverRunners, stopLeftoverClusters } from './postgres.ts';

function sweep(runner: number): void {
  const n = stopLeftoverClusters(runner);
  if (n > 0) console.warn(`postgres: removed ${n} test cluster(s) left by a test file`);
}

export function setup(): void {
  for (const runner of leftoverRunners()) sweep(runner);
}

export function teardown(): void {
  sweep(process.pid);
}
