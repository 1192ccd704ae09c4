// The agent's CSR encoder against two independent parsers: OpenSSL's
// (`openssl req -verify`) and the control plane's (@peculiar/x509 through
// verifyCsr), and byte for byte against the request @peculiar/x509 writes
// for the same key and name (ed25519 signatures are deterministic).
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCsr } from '../../cp/pki/csr.ts';
import { x509 } from '../../cp/pki/x509.ts';
import { fingerprintRaw, parsePrivateKey, type PrivateKey } from '../../trust/index.ts';
import { createCsr } from './csr.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-csr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshKey(): PrivateKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const parsed = parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

/** The request @peculiar/x509 makes for the same key and name. */
async function libraryCsr(key: PrivateKey, cn: string): Promise<string> {
  const alg = { name: 'Ed25519' } as const;
  const pkcs8 = key.keyObject.export({ format: 'der', type: 'pkcs8' });
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey.raw]);
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys: keys as unknown as x509.Pkcs10CertificateRequestCreateParams['keys'],
    signingAlgorithm: alg,
  });
  return csr.toString('pem');
}

/**
 * `openssl req -verify` on the PEM: its subject line, or a throw when OpenSSL
 * refuses it (OpenSSL 3.0 exits 0 on a bad self-signature and says so on stderr).
 */
function opensslVerify(pem: string): string {
  const file = join(dir, 'req.pem');
  writeFileSync(file, pem);
  const r = spawnSync('openssl', ['req', '-in', file, '-noout', '-verify', '-subject'], {
    encoding: 'utf8',
  });
  if (r.status !== 0 || !/self-signature verify OK/.test(r.stderr)) {
    throw new Error(`openssl req -verify: exit ${r.status}: ${r.stderr}`);
  }
  return r.stdout;
}

describe('createCsr', () => {
  it.each([
    ['web-01'],
    ['a'],
    ['node-7.eu-west.example.org'],
    ['x'.repeat(63)],
    // `_` is outside PrintableString: the name is a UTF8String.
    ['build_01'],
  ])('%s: the bytes the X.509 library writes; OpenSSL and the CP verify it', async (cn) => {
    const key = freshKey();
    const pem = await createCsr(key, cn);
    expect(pem).toBe(await libraryCsr(key, cn));
    expect(opensslVerify(pem)).toBe(`subject=CN = ${cn}\n`);
    const verified = await verifyCsr(pem);
    expect(verified.commonName).toBe(cn);
    expect(Buffer.from(verified.publicKeyRaw)).toEqual(Buffer.from(key.publicKey.raw));
    expect(verified.fingerprint).toBe(fingerprintRaw(key.publicKey.raw));
  });

  it('encodes lengths of 128 bytes and more in the long form', async () => {
    const key = freshKey();
    const cn = 'h'.repeat(200);
    const pem = await createCsr(key, cn);
    expect(pem).toBe(await libraryCsr(key, cn));
    expect(opensslVerify(pem)).toBe(`subject=CN = ${cn}\n`);
  });

  it('is signed by the key it names: another key does not verify', async () => {
    const pem = await createCsr(freshKey(), 'web-01');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    // Swap the public key inside the request for another one: the signature no longer matches.
    const other = Buffer.from(freshKey().publicKey.raw);
    const at = der.indexOf(Buffer.from('032100', 'hex')) + 3;
    other.copy(der, at);
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----`;
    expect(() => opensslVerify(forged)).toThrow();
    await expect(verifyCsr(forged)).rejects.toMatchObject({ code: 'CP_ERR_CSR_INVALID' });
  });
});
