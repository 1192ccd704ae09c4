// Tokens a host creates at activation (hive-matrix's registration token):
// read back from the host's sandbox, they must be 64 hex characters, mode
// 0600, and found by the secret scan anywhere else the run put them.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HarnessScenario } from '../contracts/index.ts';
import { activationTokens, checkSecretsConfined } from './secrets.ts';

const PATH = '/var/lib/hyperhive/matrix-register-token';
const TOKEN = 'ab'.repeat(32);
const scenario = {
  generations: { g1: { default: {}, hosts: { 'hive-01': { activationTokens: [PATH] } } } },
} as unknown as HarnessScenario;

function runDir(mode = 0o600, token = TOKEN): string {
  const dir = mkdtempSync(join(tmpdir(), 'nf-tokens-'));
  const on = join(dir, 'hosts/hive-01/sandbox/var/lib/hyperhive');
  mkdirSync(on, { recursive: true });
  writeFileSync(join(on, 'matrix-register-token'), token);
  chmodSync(join(on, 'matrix-register-token'), mode);
  return dir;
}

describe('activation tokens in secretsConfined', () => {
  it('passes when the token is only on its host', () => {
    const dir = runDir();
    const t = activationTokens(scenario, ['hive-01'], dir);
    expect(t.violations).toEqual([]);
    expect(checkSecretsConfined(t.secrets, dir).violations).toEqual([]);
  });

  it('finds the token in a release directory or a log', () => {
    const dir = runDir();
    mkdirSync(join(dir, 'releases'));
    writeFileSync(join(dir, 'releases/fleet.resolved.json'), `{"token":"${TOKEN}"}`);
    const t = activationTokens(scenario, ['hive-01'], dir);
    expect(checkSecretsConfined(t.secrets, dir).violations.join('\n')).toMatch(
      /PLAINTEXT of secret \/var\/lib\/hyperhive\/matrix-register-token \(host hive-01\) found in releases\/fleet.resolved.json/,
    );
  });

  it('reports a token never created, readable by others, or not a token', () => {
    const missing = activationTokens(scenario, ['hive-01'], mkdtempSync(join(tmpdir(), 'nf-')));
    expect(missing.violations.join()).toMatch(/was not created on the host/);
    expect(activationTokens(scenario, ['hive-01'], runDir(0o640)).violations.join()).toMatch(
      /mode 640, not 600/,
    );
    expect(activationTokens(scenario, ['hive-01'], runDir(0o600, 'x')).violations.join()).toMatch(
      /not 64 hex/,
    );
  });
});
