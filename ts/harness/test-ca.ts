// A self-signed fleet CA for tests and harness runs: the product's CA
// certificate (ts/cp/pki/authority.ts, what `nixfleet pki init-ca` makes)
// with test defaults (valid from an hour ago for 30 days), and PKCS#8 PEM
// export of WebCrypto keys. Never used by a deployed component.
import {
  createCaCertificate,
  KEY_ALGORITHMS,
  pkcs8Pem,
  type CaCertificate,
  type KeyAlgorithm,
} from '../cp/pki/authority.ts';

/** The WebCrypto algorithms a test CA can sign with. */
export const CA_ALGORITHMS = KEY_ALGORITHMS;

/** A self-signed CA: its key pair, certificate and signing algorithm. */
export type TestCa = CaCertificate;

export { pkcs8Pem };

/**
 * A CA certificate valid from `notBefore` (default an hour ago) to
 * `notAfter` (default 30 days from now).
 *
 * @example const ca = await createTestCa({ cn: 'nixfleet test fleet CA', algorithm: 'ed25519' });
 */
export async function createTestCa(args: {
  readonly cn: string;
  readonly algorithm: KeyAlgorithm;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}): Promise<TestCa> {
  const now = Date.now();
  return createCaCertificate({
    cn: args.cn,
    algorithm: args.algorithm,
    notBefore: args.notBefore ?? new Date(now - 3_600_000),
    notAfter: args.notAfter ?? new Date(now + 30 * 86_400_000),
  });
}
