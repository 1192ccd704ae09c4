import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetCa } from './ca.ts';
import { CaError, issueClientCertificate, loadCaSigner } from './issuer.ts';
import { rawEd25519FromSpki, x509 } from './x509.ts';

const NOW = Date.parse('2026-05-16T01:30:00Z');
const DAY = 86_400_000;

type CaAlg = 'ed25519' | 'p256';

/** A self-signed fleet CA valid for `days` from NOW − 1 day, as PEMs. */
async function makeCa(alg: CaAlg, days = 365): Promise<{ certPem: string; keyPem: string }> {
  const params =
    alg === 'ed25519'
      ? { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } }
      : {
          gen: { name: 'ECDSA', namedCurve: 'P-256' },
          sign: { name: 'ECDSA', hash: 'SHA-256' },
        };
  const keys = (await webcrypto.subtle.generateKey(params.gen, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=fleet CA',
    notBefore: new Date(NOW - DAY),
    notAfter: new Date(NOW - DAY + days * DAY),
    keys,
    signingAlgorithm: params.sign,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return { certPem: cert.toString('pem'), keyPem };
}

function holderKey(): Uint8Array {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = rawEd25519FromSpki(publicKey.export({ type: 'spki', format: 'der' }));
  if (raw === null) throw new Error('no raw key');
  return raw;
}

describe('issueClientCertificate', () => {
  for (const alg of ['ed25519', 'p256'] as const) {
    it(`${alg} CA: a clientAuth leaf for the holder's key, signed by the CA, second-aligned`, async () => {
      const pems = await makeCa(alg);
      const ca = await loadCaSigner(pems);
      const publicKeyRaw = holderKey();
      const c = await issueClientCertificate(ca, {
        commonName: 'web-01',
        publicKeyRaw,
        now: NOW + 123,
        validityMs: DAY,
      });
      const leaf = new x509.X509Certificate(c.certPem);
      expect(leaf.subject).toBe('CN=web-01');
      expect(c.subject).toBe('CN=web-01');
      expect(leaf.serialNumber).toBe(c.serial);
      expect(c.serial).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(c.notBefore).toBe(NOW);
      expect(c.notAfter).toBe(NOW + DAY);
      expect(leaf.notAfter.getTime()).toBe(NOW + DAY);
      expect(await leaf.verify({ publicKey: ca.cert.publicKey, signatureOnly: true })).toBe(true);
      expect(rawEd25519FromSpki(new Uint8Array(leaf.publicKey.rawData))).toEqual(publicKeyRaw);
      const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
      expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
      expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
      const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension);
      expect(aki?.keyId).toBe(ca.authorityKeyId);
    });
  }

  it('never outlives the CA, and an expired CA issues nothing', async () => {
    const ca = await loadCaSigner(await makeCa('ed25519', 2));
    const capped = await issueClientCertificate(ca, {
      commonName: 'operator:alice',
      publicKeyRaw: holderKey(),
      now: NOW,
      validityMs: 30 * DAY,
    });
    expect(capped.notAfter).toBe(ca.cert.notAfter.getTime());
    await expect(
      issueClientCertificate(ca, {
        commonName: 'web-01',
        publicKeyRaw: holderKey(),
        now: NOW + 5 * DAY,
        validityMs: DAY,
      }),
    ).rejects.toThrow(/fleet CA expired at/);
  });

  it('serials are unique and the certificate carries exactly the serial returned (and logged)', async () => {
    const ca = await loadCaSigner(await makeCa('ed25519'));
    const key = holderKey();
    const serials = new Set<string>();
    // 300 issuances: each has a 1/128 chance of a 0x00 first byte, which DER
    // drops from the serial; 300 reach such a serial with p > 0.9.
    for (let i = 0; i < 300; i++) {
      const c = await issueClientCertificate(ca, {
        commonName: 'h',
        publicKeyRaw: key,
        now: NOW,
        validityMs: DAY,
      });
      expect(new x509.X509Certificate(c.certPem).serialNumber).toBe(c.serial);
      serials.add(c.serial);
    }
    expect(serials.size).toBe(300);
  });
});

describe('loadCaSigner', () => {
  it('refuses a key that is not the CA certificate’s', async () => {
    const a = await makeCa('ed25519');
    const b = await makeCa('ed25519');
    await expect(loadCaSigner({ certPem: a.certPem, keyPem: b.keyPem })).rejects.toThrow(
      new CaError('the CA key does not belong to the CA certificate'),
    );
  });

  it('refuses unsupported key types and garbage with a CaError', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const a = await makeCa('ed25519');
    await expect(
      loadCaSigner({
        certPem: a.certPem,
        keyPem: rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      }),
    ).rejects.toBeInstanceOf(CaError);
    await expect(loadCaSigner({ certPem: 'not a pem', keyPem: a.keyPem })).rejects.toBeInstanceOf(
      CaError,
    );
    await expect(loadCaSigner({ certPem: a.certPem, keyPem: 'garbage' })).rejects.toBeInstanceOf(
      CaError,
    );
  });
});

describe('loadFleetCa (the CP side)', () => {
  it('fails closed with CP_ERR_CONFIG on a mismatched key, and logs every issuance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nixfleet-ca-'));
    const a = await makeCa('ed25519');
    const b = await makeCa('ed25519');
    writeFileSync(join(dir, 'ca.pem'), a.certPem);
    writeFileSync(join(dir, 'a.key'), a.keyPem);
    writeFileSync(join(dir, 'b.key'), b.keyPem);
    const issuanceLog = join(dir, 'log', 'issuance.log');
    await expect(
      loadFleetCa({ certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'b.key'), issuanceLog }),
    ).rejects.toMatchObject({ code: 'CP_ERR_CONFIG' });
    const ca = await loadFleetCa({
      certFile: join(dir, 'ca.pem'),
      keyFile: join(dir, 'a.key'),
      issuanceLog,
    });
    const issued = await ca.issue({
      hostname: 'web-01',
      publicKeyRaw: holderKey(),
      fingerprint: 'SHA256:x',
      now: NOW,
      validityMs: DAY,
      via: 'enroll',
      nonce: 'n-1',
    });
    const lines = readFileSync(issuanceLog, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        at: new Date(NOW).toISOString(),
        via: 'enroll',
        hostname: 'web-01',
        serial: issued.serial,
        fingerprint: 'SHA256:x',
        notBefore: new Date(NOW).toISOString(),
        notAfter: new Date(NOW + DAY).toISOString(),
        nonce: 'n-1',
      },
    ]);
  });
});
