import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeHex, encodeBase64 } from './encoding.ts';
import {
  fingerprintRaw,
  publicKeyFromBase64,
  publicKeyFromOpenSsh,
  publicKeyFromRaw,
} from './keys.ts';
import {
  formatOpenSshPublicKey,
  parseOpenSshPrivateKey,
  parseOpenSshPublicKey,
} from './openssh.ts';
import {
  exportOpenSshPrivateKey,
  exportPkcs8Pem,
  exportSeed,
  generatePrivateKey,
  parsePrivateKey,
  privateKeyFromSeed,
} from './private-keys.ts';

const fixtures = new URL('../../tests/fixtures/trust/', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hex = (s: string): Uint8Array => decodeHex(s) as Uint8Array;
// RFC 8032 §7.1, TEST 1.
const RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

const hasSshKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // ssh-keygen -? exits non-zero but exists; ENOENT means it is missing.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

describe('trust.json public keys (base64 raw)', () => {
  it('reads ed25519 (32 bytes) and P-256 X‖Y (64 bytes)', () => {
    const ed = publicKeyFromBase64('ed25519', encodeBase64(hex(RFC8032_PUB)));
    expect(ed).toMatchObject({ ok: true, value: { algorithm: 'ed25519' } });
    const p = generatePrivateKey('ecdsa-p256').publicKey;
    expect(p.raw.length).toBe(64);
    expect(publicKeyFromBase64('ecdsa-p256', p.base64)).toMatchObject({
      ok: true,
      value: { base64: p.base64 },
    });
  });

  it('refuses wrong lengths, a 0x04-prefixed point, off-curve points and sloppy base64', () => {
    const p = generatePrivateKey('ecdsa-p256').publicKey;
    const prefixed = encodeBase64(new Uint8Array([4, ...p.raw]));
    expect(publicKeyFromBase64('ecdsa-p256', prefixed)).toMatchObject({
      ok: false,
      error: { code: 'TRUST_ERR_INVALID_KEY' },
    });
    expect(publicKeyFromRaw('ecdsa-p256', new Uint8Array(64)).ok).toBe(false); // (0,0) is not on the curve
    expect(publicKeyFromRaw('ed25519', new Uint8Array(31)).ok).toBe(false);
    expect(publicKeyFromRaw('ed25519', new Uint8Array(64)).ok).toBe(false);
    const good = encodeBase64(hex(RFC8032_PUB));
    for (const bad of [
      good.replace(/=$/, ''),
      ` ${good}`,
      good.replace(/\+|\//g, '-'),
      good.slice(0, -2) + 'b=',
    ]) {
      if (bad === good) continue;
      expect(publicKeyFromBase64('ed25519', bad).ok).toBe(false);
    }
  });

  it('fingerprint = standard padded base64 of SHA-256 over the raw key', () => {
    const raw = hex(RFC8032_PUB);
    const expected = Buffer.from(sha256(raw)).toString('base64');
    expect(fingerprintRaw(raw)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const key = publicKeyFromRaw('ed25519', raw);
    expect(key.ok && key.value.fingerprint).toBe(expected);
  });
});

describe('OpenSSH keys', () => {
  it('parses and formats ssh-ed25519 public key lines', () => {
    const line = readFileSync(new URL('keys/host-00042_ed25519_key.pub', fixtures), 'utf8');
    const parsed = parseOpenSshPublicKey(line);
    expect(parsed).toMatchObject({ ok: true, value: { comment: 'root@host-00042' } });
    if (!parsed.ok) return;
    expect(formatOpenSshPublicKey(parsed.value.raw, 'root@host-00042')).toBe(line.trim());
    expect(publicKeyFromOpenSsh(line).ok).toBe(true);
  });

  it('refuses other key types and corrupt blobs', () => {
    expect(parseOpenSshPublicKey('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x')).toMatchObject({
      ok: false,
      error: { kind: 'UnsupportedKey' },
    });
    const good = formatOpenSshPublicKey(hex(RFC8032_PUB));
    const blob = Buffer.from(good.split(' ')[1] as string, 'base64');
    expect(parseOpenSshPublicKey(`ssh-ed25519 ${blob.subarray(0, 40).toString('base64')}`).ok).toBe(
      false,
    );
    // A blob that claims ssh-ed25519 on the line but carries another type inside.
    const inner = Buffer.concat([
      Buffer.from([0, 0, 0, 7]),
      Buffer.from('ssh-dss'),
      blob.subarray(15),
    ]);
    expect(parseOpenSshPublicKey(`ssh-ed25519 ${inner.toString('base64')}`).ok).toBe(false);
  });

  it.skipIf(!hasSshKeygen)('reads a private key written by ssh-keygen', () => {
    const path = join(tmp, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'root@web-01', '-f', path]);
    const key = parsePrivateKey(readFileSync(path, 'utf8'));
    expect(key.ok).toBe(true);
    if (!key.ok) return;
    const pub = publicKeyFromOpenSsh(readFileSync(`${path}.pub`, 'utf8'));
    expect(pub.ok && pub.value.base64).toBe(key.value.publicKey.base64);
    expect(parseOpenSshPrivateKey(readFileSync(path, 'utf8'))).toMatchObject({
      ok: true,
      value: { comment: 'root@web-01' },
    });
  });

  it.skipIf(!hasSshKeygen)('writes a private key ssh-keygen accepts', () => {
    const key = generatePrivateKey('ed25519');
    const file = exportOpenSshPrivateKey(key, { comment: 'root@db-01' });
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    const path = join(tmp, 'ours_ed25519_key');
    writeFileSync(path, file.value, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' });
    expect(derived.trim().split(' ').slice(0, 2).join(' ')).toBe(
      formatOpenSshPublicKey(key.publicKey.raw),
    );
  });

  it.skipIf(!hasSshKeygen)('refuses passphrase-protected keys with a typed error', () => {
    const path = join(tmp, 'encrypted_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', path]);
    expect(parsePrivateKey(readFileSync(path, 'utf8'))).toMatchObject({
      ok: false,
      error: { kind: 'UnsupportedKey', code: 'TRUST_ERR_UNSUPPORTED_KEY' },
    });
  });

  it('refuses a private key file whose public copies disagree', () => {
    const a = generatePrivateKey('ed25519');
    const b = generatePrivateKey('ed25519');
    const file = exportOpenSshPrivateKey(a);
    if (!file.ok) throw new Error(file.error.message);
    const swapped = file.value
      .split('\n')
      .filter((l) => !l.startsWith('-----'))
      .join('');
    const der = Buffer.from(swapped, 'base64');
    const at = der.indexOf(Buffer.from(a.publicKey.raw));
    Buffer.from(b.publicKey.raw).copy(der, at); // replace the outer public key
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${der.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(parsePrivateKey(pem)).toMatchObject({ ok: false, error: { kind: 'InvalidKey' } });
  });
});

describe('private key encodings', () => {
  it('derives the RFC 8032 public key from the seed in hex, raw and base64 forms', () => {
    const seed = hex(RFC8032_SEED);
    for (const input of [
      RFC8032_SEED,
      `${RFC8032_SEED.toUpperCase()}\n`,
      seed,
      encodeBase64(seed),
    ]) {
      const key = parsePrivateKey(input);
      expect(key.ok && Buffer.from(key.value.publicKey.raw).toString('hex')).toBe(RFC8032_PUB);
    }
  });

  it('round-trips PKCS#8 PEM for both algorithms, and seeds', () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256'] as const) {
      const key = generatePrivateKey(algorithm);
      const back = parsePrivateKey(exportPkcs8Pem(key));
      expect(back).toMatchObject({
        ok: true,
        value: { algorithm, publicKey: { base64: key.publicKey.base64 } },
      });
      const fromSeed = privateKeyFromSeed(algorithm, exportSeed(key));
      expect(fromSeed.ok && fromSeed.value.publicKey.base64).toBe(key.publicKey.base64);
    }
  });

  it('reads SEC1 EC PEM and a P-256 hex scalar', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    expect(pem).toMatch(/BEGIN EC PRIVATE KEY/);
    const key = parsePrivateKey(pem);
    expect(key).toMatchObject({ ok: true, value: { algorithm: 'ecdsa-p256' } });
    if (!key.ok) return;
    const scalar = Buffer.from(exportSeed(key.value)).toString('hex');
    const again = parsePrivateKey(scalar, { algorithm: 'ecdsa-p256' });
    expect(again.ok && again.value.publicKey.base64).toBe(key.value.publicKey.base64);
  });

  it('refuses RSA, wrong-length seeds and unknown encodings', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsa = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(parsePrivateKey(rsa)).toMatchObject({ ok: false, error: { kind: 'UnsupportedKey' } });
    expect(privateKeyFromSeed('ed25519', new Uint8Array(31)).ok).toBe(false);
    expect(privateKeyFromSeed('ecdsa-p256', new Uint8Array(32)).ok).toBe(false); // zero scalar
    expect(parsePrivateKey('not a key').ok).toBe(false);
    expect(parsePrivateKey(new Uint8Array(33).fill(0xff)).ok).toBe(false);
  });

  it('exports OpenSSH files only for ed25519', () => {
    expect(exportOpenSshPrivateKey(generatePrivateKey('ecdsa-p256')).ok).toBe(false);
  });
});
