// The one set of ajv options every contract validator is compiled with: by
// `npm run gen` into the standalone validators the programs load, and by
// tests/contracts/standalone.test.ts into the runtime-compiled validators it
// holds them equal to.
import type { Options } from 'ajv';

export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictTypes: false,
  validateFormats: false,
  // Each schema is checked against the JSON Schema meta-schema by
  // tests/contracts/meta-schema.test.ts.
  validateSchema: false,
} as const satisfies Options;
