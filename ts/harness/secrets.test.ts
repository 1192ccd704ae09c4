// The secret scan must find a leaked plaintext wherever the run put it —
// raw, hex or base64, inside an xz-compressed NAR, inside a binary file — and
// must pass only the host's own decrypted copy. Real files, real xz.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENIX_DIR, checkSecretsConfined, plaintextPatterns, type HostSecret } from './secrets.ts';

const secret: HostSecret = {
  host: 'web-01',
  name: 'db-password',
  plaintext: 'nfsecret-web-01-db-password-0123456789abcdef0123456789abcdef0123456789abcdef',
  ciphertextFile: '/nonexistent',
};

function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nf-secrets-'));
  const agenix = join(dir, 'hosts/web-01', AGENIX_DIR);
  mkdirSync(agenix, { recursive: true });
  writeFileSync(join(agenix, 'db-password'), secret.plaintext);
  mkdirSync(join(dir, 'cp'), { recursive: true });
  writeFileSync(join(dir, 'cp/state.db'), Buffer.from([0, 1, 2, 3]));
  return dir;
}

describe('checkSecretsConfined', () => {
  it('passes when the plaintext is only where the host decrypted it', () => {
    const scan = checkSecretsConfined([secret], runDir());
    expect(scan.violations).toEqual([]);
    expect(scan.filesScanned).toBe(2);
  });

  it('fails when the host never decrypted its secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nf-secrets-'));
    writeFileSync(join(dir, 'cp.log'), 'nothing\n');
    expect(checkSecretsConfined([secret], dir).violations.join('\n')).toMatch(/is absent/);
  });

  it('fails when the scenario ships no secret', () => {
    expect(checkSecretsConfined([], runDir()).violations.join('\n')).toMatch(/no secret/);
  });

  it('finds the plaintext in a binary file, a log (base64 at any offset) and an xz NAR', () => {
    const dir = runDir();
    const raw = Buffer.from(secret.plaintext);
    writeFileSync(join(dir, 'cp/state.db-wal'), Buffer.concat([Buffer.from([0, 255, 7]), raw]));
    for (const shift of [0, 1, 2]) {
      const b64 = Buffer.concat([Buffer.alloc(shift, 0x41), raw]).toString('base64');
      writeFileSync(join(dir, `agent-${shift}.log`), `{"msg":"x","body":"${b64}"}\n`);
    }
    mkdirSync(join(dir, 'cache/nar'), { recursive: true });
    const nar = join(dir, 'cache/nar/abc.nar');
    writeFileSync(nar, Buffer.concat([Buffer.alloc(4096, 1), raw, Buffer.alloc(4096, 2)]));
    execFileSync('xz', [nar]);
    const v = checkSecretsConfined([secret], dir).violations.join('\n');
    expect(v).toMatch(/found in cp\/state\.db-wal/);
    expect(v).toMatch(/found in agent-0\.log \(encoded\)/);
    expect(v).toMatch(/found in agent-1\.log \(encoded\)/);
    expect(v).toMatch(/found in agent-2\.log \(encoded\)/);
    expect(v).toMatch(/found in cache\/nar\/abc\.nar\.xz/);
  });

  it('matches hex in either case', () => {
    const pats = plaintextPatterns(secret.plaintext).map((p) => p.toString());
    expect(pats).toContain(Buffer.from(secret.plaintext).toString('hex'));
    expect(pats).toContain(Buffer.from(secret.plaintext).toString('hex').toUpperCase());
  });
});
