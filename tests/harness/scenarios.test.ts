// Tier A in the README test command: the fast harness scenarios, for real —
// a control plane process, one agent process per host (in its own network
// namespace where the machine allows), real Nix closures, a real signed
// binary cache and real `nixfleet release`. `npm run harness -- --all` runs
// every scenario.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_DIR, loadScenario, runScenario } from '../../ts/harness/index.ts';

const names = readdirSync(SCENARIO_DIR)
  .filter((f) => f.endsWith('.nix'))
  .map((f) => f.slice(0, -4))
  .sort();
const fast: string[] = [];
for (const n of names) if ((await loadScenario(join(SCENARIO_DIR, `${n}.nix`))).fast) fast.push(n);

describe('harness scenarios (fast)', () => {
  it('has fast scenarios to run', () => {
    expect(fast.length).toBeGreaterThan(0);
  });
  for (const name of fast) {
    it(
      name,
      async () => {
        const r = await runScenario({ scenario: name });
        // On failure the message carries the timeline, the CP's view with its
        // last decisions, and log tails.
        expect(r.ok, `${r.timeline.join('\n')}\n\n${r.failure ?? ''}`).toBe(true);
      },
      300_000,
    );
  }
});
