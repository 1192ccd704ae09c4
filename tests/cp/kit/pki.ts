// Test PKI: a fleet CA (ed25519), a server certificate for the loopback
// listener and ed25519 client certificates per host — real X.509 made with
// @peculiar/x509 over node's WebCrypto, the same library the CP issues with.
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawEd25519FromSpki, x509 } from '../../../ts/cp/pki/x509.ts';
import { createTestCa, pkcs8Pem } from '../../../ts/harness/test-ca.ts';

const ED = { name: 'Ed25519' } as const;
type KeyPair = webcrypto.CryptoKeyPair;

/** A host's key material: the ed25519 pair, its PEM and raw public key. */
export interface HostKey {
  readonly pair: KeyPair;
  readonly keyPem: string;
  readonly raw: Uint8Array;
}

/** A fresh ed25519 host key. */
export async function hostKey(): Promise<HostKey> {
  const pair = (await webcrypto.subtle.generateKey(ED, true, ['sign', 'verify'])) as KeyPair;
  const spki = await webcrypto.subtle.exportKey('spki', pair.publicKey);
  return {
    pair,
    keyPem: await pkcs8Pem(pair.privateKey),
    raw: rawEd25519FromSpki(spki) as Uint8Array,
  };
}

/** A PEM CSR for `cn`, signed by the host key. */
export async function csrFor(cn: string, key: HostKey): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys: key.pair,
    signingAlgorithm: ED,
  });
  return csr.toString('pem');
}

/** The test CA with helpers to issue certificates directly (not through the CP). */
export interface TestPki {
  readonly caPem: string;
  readonly caCertFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Issues a client certificate for `cn` (new key unless given). */
  client(
    cn: string,
    options?: {
      readonly key?: HostKey;
      readonly notBefore?: Date;
      readonly notAfter?: Date;
      /** Extended key usage: clientAuth (default) or none at all (OpenSSL accepts it for clients). */
      readonly eku?: 'clientAuth' | 'none';
    },
  ): Promise<{ cert: string; key: string; hostKey: HostKey }>;
}

let serial = 1;

/** Creates the CA and the server certificate under `dir`. */
export async function makePki(dir: string): Promise<TestPki> {
  const now = Date.now();
  const { keys: caKeys, cert: ca } = await createTestCa({
    cn: 'nixfleet test fleet CA',
    algorithm: 'ed25519',
  });
  const caPem = ca.toString('pem');
  const issue = async (
    cn: string,
    publicKey: webcrypto.CryptoKey,
    server: boolean,
    notBefore = new Date(now - 60_000),
    notAfter = new Date(now + 7 * 86_400_000),
    eku: 'clientAuth' | 'none' = 'clientAuth',
  ): Promise<string> => {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(8, '0'),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey,
      signingAlgorithm: ED,
      extensions: server
        ? [
            new x509.SubjectAlternativeNameExtension([
              { type: 'ip', value: '127.0.0.1' },
              { type: 'dns', value: 'localhost' },
            ]),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          ]
        : eku === 'none'
          ? []
          : [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    return cert.toString('pem');
  };
  const serverKey = await hostKey();
  const serverPem = await issue('localhost', serverKey.pair.publicKey, true);
  const files = {
    caCertFile: join(dir, 'fleet-ca.pem'),
    caKeyFile: join(dir, 'fleet-ca.key'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
  };
  writeFileSync(files.caCertFile, caPem);
  writeFileSync(files.caKeyFile, await pkcs8Pem(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(files.serverCertFile, serverPem);
  writeFileSync(files.serverKeyFile, serverKey.keyPem, { mode: 0o600 });
  return {
    caPem,
    ...files,
    async client(cn, options = {}) {
      const k = options.key ?? (await hostKey());
      const cert = await issue(
        cn,
        k.pair.publicKey,
        false,
        options.notBefore,
        options.notAfter,
        options.eku,
      );
      return { cert, key: k.keyPem, hostKey: k };
    },
  };
}
