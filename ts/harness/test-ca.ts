// A self-signed fleet CA for tests and harness runs, and PKCS#8 PEM export
// of WebCrypto keys: the part every test PKI (CP integration tests, the
// operator CLI tests, the harness) shares. Real X.509 via @peculiar/x509
// over node's WebCrypto, the library the control plane issues with. Never
// used by a deployed component: a real fleet CA is made offline.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { x509 } from '../cp/pki/x509.ts';

/** The WebCrypto algorithms a test CA can sign with. */
export const CA_ALGORITHMS = {
  ed25519: { name: 'Ed25519' },
  p256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
} as const;

/** A self-signed CA: its key pair, certificate and signing algorithm. */
export interface TestCa {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
  readonly algorithm: (typeof CA_ALGORITHMS)[keyof typeof CA_ALGORITHMS];
}

/**
 * A CA certificate (basicConstraints CA, keyCertSign|cRLSign, SKI) valid
 * from `notBefore` to `notAfter`.
 *
 * @example const ca = await createTestCa({ cn: 'nixfleet test fleet CA', algorithm: 'ed25519' });
 */
export async function createTestCa(args: {
  readonly cn: string;
  readonly algorithm: keyof typeof CA_ALGORITHMS;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}): Promise<TestCa> {
  const algorithm = CA_ALGORITHMS[args.algorithm];
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${args.cn}`,
    notBefore: args.notBefore ?? new Date(now - 3_600_000),
    notAfter: args.notAfter ?? new Date(now + 30 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert, algorithm };
}

/** PKCS#8 PEM of an extractable WebCrypto private key. */
export async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}
