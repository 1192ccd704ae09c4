// Test PKI for the operator CLI: a fleet CA, a CP server certificate for
// 127.0.0.1/localhost and an operator client certificate, written as PEM
// files. Real X.509 (via @peculiar/x509), so TLS 1.3 with client
// certificates is exercised for real; never used outside tests.
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from '../../../ts/cp/pki/x509.ts';
import { createTestCa, pkcs8Pem } from '../../../ts/harness/test-ca.ts';

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Paths of the PEM files of a test PKI. */
export interface TestPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * Writes a CA, a server and a client certificate into `dir`.
 *
 * @example const pki = await makeTestPki(tmp, { clientCn: 'operator-alice' });
 */
export async function makeTestPki(
  dir: string,
  options: { readonly clientCn?: string; readonly caCn?: string } = {},
): Promise<TestPki> {
  const now = Date.now();
  const notBefore = new Date(now - 3_600_000);
  const notAfter = new Date(now + 86_400_000);
  const { keys: caKeys, cert: ca } = await createTestCa({
    cn: options.caCn ?? 'nixfleet test fleet CA',
    algorithm: 'p256',
    notBefore,
    notAfter,
  });
  const leaf = async (
    cn: string,
    serial: string,
    usage: string,
    san: boolean,
  ): Promise<{ cert: string; key: string }> => {
    const keys = (await webcrypto.subtle.generateKey(P256, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        ...(san
          ? [
              new x509.SubjectAlternativeNameExtension([
                { type: 'dns', value: 'localhost' },
                { type: 'ip', value: '127.0.0.1' },
              ]),
            ]
          : []),
      ],
    });
    return { cert: cert.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
  };
  const server = await leaf('localhost', '02', x509.ExtendedKeyUsage.serverAuth, true);
  const client = await leaf(
    options.clientCn ?? 'operator',
    '03',
    x509.ExtendedKeyUsage.clientAuth,
    false,
  );
  const files: TestPki = {
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'operator.pem'),
    clientKey: join(dir, 'operator.key'),
  };
  writeFileSync(files.caCert, ca.toString('pem'));
  writeFileSync(files.caKey, await pkcs8Pem(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(files.serverCert, server.cert);
  writeFileSync(files.serverKey, server.key, { mode: 0o600 });
  writeFileSync(files.clientCert, client.cert);
  writeFileSync(files.clientKey, client.key, { mode: 0o600 });
  return files;
}
