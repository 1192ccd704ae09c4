import { describe, expect, it } from 'vitest';
import { runBinary, runInProcess } from '../../../tests/cli/support/cli-kit.ts';

describe('nixfleet canonicalize', () => {
  it('writes RFC 8785 bytes, no trailing newline (real process)', () => {
    const r = runBinary(['canonicalize'], {
      stdin: '{ "b": [1E2, -0, "\\u20ac"], "a": { "d": 1, "c": 5e-324 } }\n',
    });
    expect(r).toEqual({ code: 0, stdout: '{"a":{"c":5e-324,"d":1},"b":[100,0,"€"]}', stderr: '' });
  });

  it('exits 1 on a parse error and on non-I-JSON input (real process)', () => {
    const r = runBinary(['canonicalize'], { stdin: '{"a":' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TRUST_ERR_INVALID_JSON');
    expect(r.stdout).toBe('');
    expect(runBinary(['canonicalize'], { stdin: '"\\ud800"' }).code).toBe(1);
  });

  it('exits 1 on invalid UTF-8 and 2 on unknown commands', async () => {
    expect(
      (await runInProcess(['canonicalize'], { stdin: new Uint8Array([0x22, 0xff, 0x22]) })).code,
    ).toBe(1);
    expect((await runInProcess(['no-such-command'])).code).toBe(2);
    expect((await runInProcess([])).code).toBe(2);
  });
});
