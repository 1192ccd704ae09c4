// Vitest reporter that ends the run with the closing line CI reads:
// `N passed, N failed, N skipped` (ENVIRONMENT.md, "Test output"). It also
// writes the counts to $NIXFLEET_TEST_SUMMARY when set, so scripts/test.sh can
// add them to the counts of the other steps.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** Counts test cases by their final state and prints the summary line. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to load (syntax error, import error) has no
      // tests but must still count as a failure.
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    const out = process.env['NIXFLEET_TEST_SUMMARY'];
    if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped }));
    process.stdout.write(`vitest: ${line}\n`);
  }
}
