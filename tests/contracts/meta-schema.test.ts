// Every generated schema is a valid JSON Schema (draft 2020-12). The runtime
// validator skips this check (ts/contracts/validate.ts, `validateSchema:
// false`: it compiled the meta-schema in every process); this is where it is
// made, once, for every schema the programs carry.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { SCHEMAS } from '../../ts/contracts/generated/schemas.ts';

const ajv = new Ajv2020({ strict: true, strictTypes: false, validateFormats: false });

describe('generated schemas against the JSON Schema meta-schema', () => {
  it.each(Object.entries(SCHEMAS))('%s', (_, schema) => {
    expect(ajv.validateSchema(schema as object), ajv.errorsText()).toBe(true);
  });

  it('the check rejects a schema that is not one', () => {
    expect(ajv.validateSchema({ type: 'strin', properties: [] })).toBe(false);
  });
});
