// Certificate signing requests from agents: parse the PEM, check the
// self-signature (proof of possession of the host key), require an ed25519
// key and a single CN. Owns CSR parsing only; what the CN must equal is the
// caller's rule.
import { fingerprintRaw } from '../../trust/keys.ts';
import { CpError } from '../errors.ts';
import { commonNameOf, rawEd25519FromSpki, x509 } from './x509.ts';

/** A verified CSR: the CN it asks for and the host key it proves. */
export interface VerifiedCsr {
  readonly commonName: string;
  /** Raw 32-byte ed25519 public key. */
  readonly publicKeyRaw: Uint8Array;
  /** base64(SHA-256(raw)) — the bootstrap token's expectedPubkeyFingerprint. */
  readonly fingerprint: string;
  readonly csr: x509.Pkcs10CertificateRequest;
}

const HOSTNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Parses and verifies a PEM CSR; throws `CP_ERR_CSR_INVALID`.
 *
 * @example const { commonName, fingerprint } = await verifyCsr(body.csrPem);
 */
export async function verifyCsr(pem: string): Promise<VerifiedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (e) {
    throw new CpError('CP_ERR_CSR_INVALID', 'csrPem is not a PKCS#10 request', {}, { cause: e });
  }
  const raw = rawEd25519FromSpki(csr.publicKey.rawData);
  if (raw === null) {
    throw new CpError('CP_ERR_CSR_INVALID', 'the CSR key must be the host ed25519 key', {
      algorithm: csr.publicKey.algorithm.name,
    });
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (e) {
    throw new CpError('CP_ERR_CSR_INVALID', 'CSR signature does not verify', {}, { cause: e });
  }
  if (!valid) throw new CpError('CP_ERR_CSR_INVALID', 'CSR signature does not verify');
  const cn = commonNameOf(csr.subjectName);
  if (cn === null || !HOSTNAME.test(cn)) {
    throw new CpError('CP_ERR_CSR_INVALID', 'the CSR subject must be a single CN naming the host', {
      subject: csr.subject,
    });
  }
  return { commonName: cn, publicKeyRaw: raw, fingerprint: fingerprintRaw(raw), csr };
}
