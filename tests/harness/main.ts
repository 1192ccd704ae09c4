// `npm run harness -- <scenario…|--fast|--all>`: runs harness scenarios with
// the local runner and prints each timeline; on failure the CP's view, the
// last decisions and log tails. Exit 0 when every scenario passed.
import { readdirSync } from 'node:fs';
import { SCENARIO_DIR, loadScenario, runScenario } from '../../ts/harness/index.ts';
import { join } from 'node:path';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const loopback = args.includes('--loopback');
  const all = readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.nix'))
    .map((f) => f.slice(0, -4))
    .sort();
  let names = args.filter((a) => !a.startsWith('--'));
  if (args.includes('--all')) names = all;
  else if (args.includes('--fast')) {
    names = [];
    for (const n of all)
      if ((await loadScenario(join(SCENARIO_DIR, `${n}.nix`))).fast) names.push(n);
  }
  if (names.length === 0) {
    process.stderr.write(
      `usage: npm run harness -- <scenario…|--fast|--all> [--loopback]\nscenarios: ${all.join(', ')}\n`,
    );
    return 2;
  }
  let failed = 0;
  for (const name of names) {
    process.stdout.write(`\n=== ${name}\n`);
    const r = await runScenario({
      scenario: name,
      namespaces: !loopback,
      log: (l) => process.stdout.write(`${l}\n`),
    });
    process.stdout.write(
      `${r.ok ? 'PASS' : 'FAIL'} ${name} in ${(r.durationMs / 1000).toFixed(1)} s (${r.network}); state: ${r.workDir}\n`,
    );
    if (!r.ok) {
      failed++;
      process.stdout.write(`${r.failure}\n`);
    }
  }
  process.stdout.write(`\n${names.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`harness: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
