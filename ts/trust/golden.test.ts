import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFixtures, FIXTURE_DIR } from '../../tests/fixtures/trust/make-fixtures.ts';

describe('golden trust fixtures', () => {
  it('are exactly what tests/fixtures/trust/make-fixtures.ts produces', () => {
    const built = buildFixtures();
    expect(built.size).toBeGreaterThan(25);
    for (const [path, contents] of built) {
      const committed = readFileSync(`${FIXTURE_DIR}/${path}`);
      const expected =
        typeof contents === 'string' ? Buffer.from(contents, 'utf8') : Buffer.from(contents);
      expect({ path, same: committed.equals(expected) }).toEqual({ path, same: true });
    }
  });
});
