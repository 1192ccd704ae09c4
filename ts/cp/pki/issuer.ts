// The one place a fleet-CA client certificate is made. The CP issues agent
// certificates with it (enroll, renew) and `nixfleet mint-operator-cert`
// issues operator certificates with it, so both carry the same extension
// profile and obey the same limits (never outliving the CA, never signed by a
// key that is not the CA certificate's). Pure of files: callers read the PEMs
// and own their error types; must never persist or export the CA key.
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { spkiFromRawEd25519, x509 } from './x509.ts';

/** A loaded fleet CA, ready to sign. */
export interface CaSigner {
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
  readonly algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
  readonly authorityKeyId: string;
}

/** Why a CA could not be loaded or could not issue (the message says what to fix). */
export class CaError extends Error {
  override readonly name = 'CaError';
}

/**
 * Loads the CA certificate and its private key (PKCS#8 or SEC1 PEM; ed25519 or P-256).
 * Refuses a key that is not the certificate's: every handshake would fail later.
 *
 * @example const ca = await loadCaSigner({ certPem, keyPem });
 */
export async function loadCaSigner(pems: {
  readonly certPem: string;
  readonly keyPem: string | Uint8Array;
}): Promise<CaSigner> {
  try {
    const cert = new x509.X509Certificate(pems.certPem);
    const keyObject = createPrivateKey(
      typeof pems.keyPem === 'string' ? pems.keyPem : Buffer.from(pems.keyPem),
    );
    const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
    if (!spki.equals(Buffer.from(cert.publicKey.rawData))) {
      throw new CaError('the CA key does not belong to the CA certificate');
    }
    const der = keyObject.export({ format: 'der', type: 'pkcs8' });
    const type = keyObject.asymmetricKeyType;
    let algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
    let importAs: webcrypto.Algorithm | webcrypto.EcKeyImportParams;
    if (type === 'ed25519') {
      algorithm = { name: 'Ed25519' };
      importAs = { name: 'Ed25519' };
    } else if (type === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
      algorithm = { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams;
      importAs = { name: 'ECDSA', namedCurve: 'P-256' };
    } else {
      throw new CaError(`unsupported CA key type ${type ?? 'unknown'} (ed25519 or P-256)`);
    }
    const key = await webcrypto.subtle.importKey('pkcs8', der, importAs, false, ['sign']);
    const authorityKeyId = (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
    return { certPem: pems.certPem, cert, key, algorithm, authorityKeyId };
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError((e as Error).message, { cause: e });
  }
}

/**
 * A certificate serial: 16 random bytes, hex. Positive (high bit clear) and
 * minimal: a leading 0x00 byte would be dropped by the DER encoding, and a
 * logged serial would no longer be the certificate's.
 *
 * @example randomSerial() // '5f0c…' (32 hex digits)
 */
export function randomSerial(): string {
  const serialBytes = randomBytes(16);
  serialBytes[0] = 0x01 + ((serialBytes[0] as number) % 0x7f);
  return serialBytes.toString('hex');
}

/** One client certificate to issue. */
export interface ClientCertRequest {
  /** The whole subject CN: a hostname for agents, `operator:<name>` for operators. */
  readonly commonName: string;
  /** The holder's raw ed25519 public key (32 bytes). */
  readonly publicKeyRaw: Uint8Array;
  /** Epoch ms; notBefore is this, truncated to the second. */
  readonly now: number;
  /** Requested lifetime; capped at the CA certificate's expiry. */
  readonly validityMs: number;
}

/** An issued client certificate. */
export interface ClientCert {
  readonly certPem: string;
  readonly subject: string;
  /** 16 random bytes, hex, positive, first byte 01–7f (so DER keeps all 16). */
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Issues a clientAuth certificate (ed25519 subject key, digitalSignature, not a CA,
 * authority and subject key ids) signed by the fleet CA. An expired CA issues nothing.
 *
 * @example const c = await issueClientCertificate(ca, { commonName: 'web-01', publicKeyRaw, now, validityMs });
 */
export async function issueClientCertificate(
  ca: CaSigner,
  req: ClientCertRequest,
): Promise<ClientCert> {
  const notBefore = Math.floor(req.now / 1000) * 1000;
  const caExpiry = ca.cert.notAfter.getTime();
  if (caExpiry <= notBefore) {
    throw new CaError(`the fleet CA expired at ${new Date(caExpiry).toISOString()}`);
  }
  const notAfter = Math.min(notBefore + req.validityMs, caExpiry);
  const serial = randomSerial();
  const publicKey = new x509.PublicKey(spkiFromRawEd25519(req.publicKeyRaw));
  const subject = `CN=${req.commonName}`;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signingKey: ca.key,
    publicKey,
    signingAlgorithm: ca.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.AuthorityKeyIdentifierExtension(ca.authorityKeyId),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), subject, serial, notBefore, notAfter };
}
