// `npm run bench`: runs the benchmarks that finish in a minute or two, one
// after the other (never concurrently: they would measure each other), and
// says how to run the long ones. Every benchmark prints its own figures
// against a baseline measured in the same run; this only sequences them.
//
// Run: npm run bench [-- --all]   (--all adds the control-plane load
// benchmark at 1,000 hosts, the start-up/memory budgets and a new host's
// minute, ~13 minutes more)
import { spawnSync } from 'node:child_process';

const quick: readonly (readonly string[])[] = [
  ['tsx', 'bench/trust.bench.ts'],
  ['tsx', 'bench/planner.bench.ts'],
  ['bash', 'bench/mk-fleet.bench.sh'],
  ['tsx', 'bench/release.bench.ts'],
];
const long: readonly (readonly string[])[] = [
  ['tsx', 'bench/cp-load.bench.ts', '--hosts', '1000'],
  ['tsx', 'bench/startup.bench.ts'],
  ['bash', 'bench/host-add.bench.sh'],
];

const all = process.argv.includes('--all');
let failed = 0;
for (const [cmd, ...args] of all ? [...quick, ...long] : quick) {
  console.log(`\n## ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd as string, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.error(`## ${args[0]} exited ${r.status ?? r.signal}`);
  }
}
if (!all) {
  console.log(
    '\n## not run: the control-plane load benchmark (minutes per size):\n' +
      '##   npx tsx bench/cp-load.bench.ts --hosts 10000   (see docs/control-plane.md, "Benchmark")',
  );
}
process.exitCode = failed === 0 ? 0 : 1;
