// The fleet CA's issuing half: loads the CA certificate and key from files
// and issues short-lived client certificates whose key is the host's ed25519
// key. Every issuance is appended to an append-only JSON-lines log that
// lives outside the database (it survives a wipe). Must never generate or
// hold any key other than the CA key it was given.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { dirname } from 'node:path';
import { CpError } from '../errors.ts';
import { spkiFromRawEd25519, x509 } from './x509.ts';

/** Parameters of one issuance. */
export interface IssueRequest {
  readonly hostname: string;
  readonly publicKeyRaw: Uint8Array;
  readonly fingerprint: string;
  readonly now: number;
  readonly validityMs: number;
  /** Why: `enroll` or `renew`. */
  readonly via: 'enroll' | 'renew';
  /** Token nonce for enrollments. */
  readonly nonce: string | null;
}

/** An issued certificate. */
export interface IssuedCert {
  readonly certPem: string;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The issuing CA. */
export interface FleetCa {
  readonly certPem: string;
  issue(req: IssueRequest): Promise<IssuedCert>;
}

type Alg = {
  readonly key: webcrypto.Algorithm | webcrypto.EcKeyImportParams;
  readonly sign: webcrypto.Algorithm | webcrypto.EcdsaParams;
};

/**
 * Loads the CA from PEM files (certificate; PKCS#8 or SEC1 key, ed25519 or
 * P-256) and binds the issuance log path.
 *
 * @example const ca = await loadFleetCa({ certFile, keyFile, issuanceLog });
 */
export async function loadFleetCa(options: {
  readonly certFile: string;
  readonly keyFile: string;
  readonly issuanceLog: string;
}): Promise<FleetCa> {
  let certPem: string;
  let cert: x509.X509Certificate;
  let key: webcrypto.CryptoKey;
  let alg: Alg;
  try {
    certPem = readFileSync(options.certFile, 'utf8');
    cert = new x509.X509Certificate(certPem);
    const keyObject = createPrivateKey(readFileSync(options.keyFile));
    const type = keyObject.asymmetricKeyType;
    if (type === 'ed25519') alg = { key: { name: 'Ed25519' }, sign: { name: 'Ed25519' } };
    else if (type === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
      alg = {
        key: { name: 'ECDSA', namedCurve: 'P-256' },
        sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
      };
    } else {
      throw new Error(`unsupported CA key type ${type ?? 'unknown'} (ed25519 or P-256)`);
    }
    const der = keyObject.export({ format: 'der', type: 'pkcs8' });
    key = await webcrypto.subtle.importKey('pkcs8', der, alg.key, false, ['sign']);
  } catch (e) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `fleet CA: ${(e as Error).message}`,
      { certFile: options.certFile, keyFile: options.keyFile },
      { cause: e },
    );
  }
  mkdirSync(dirname(options.issuanceLog), { recursive: true });
  const authorityKeyId = await x509.SubjectKeyIdentifierExtension.create(cert.publicKey);
  return {
    certPem,
    async issue(req) {
      const notBefore = Math.floor(req.now / 1000) * 1000;
      const notAfter = Math.min(notBefore + req.validityMs, cert.notAfter.getTime());
      const serialBytes = randomBytes(16);
      serialBytes[0] = (serialBytes[0] as number) & 0x7f;
      const serial = serialBytes.toString('hex');
      const publicKey = new x509.PublicKey(spkiFromRawEd25519(req.publicKeyRaw));
      const issued = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject: `CN=${req.hostname}`,
        issuer: cert.subject,
        notBefore: new Date(notBefore),
        notAfter: new Date(notAfter),
        signingKey: key,
        publicKey,
        signingAlgorithm: alg.sign,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
          new x509.AuthorityKeyIdentifierExtension(authorityKeyId.keyId),
          await x509.SubjectKeyIdentifierExtension.create(publicKey),
        ],
      });
      // Append before answering: an issued certificate is never unlogged.
      appendFileSync(
        options.issuanceLog,
        JSON.stringify({
          at: new Date(req.now).toISOString(),
          via: req.via,
          hostname: req.hostname,
          serial,
          fingerprint: req.fingerprint,
          notBefore: new Date(notBefore).toISOString(),
          notAfter: new Date(notAfter).toISOString(),
          nonce: req.nonce,
        }) + '\n',
        { flag: 'a' },
      );
      return { certPem: issued.toString('pem'), serial, notBefore, notAfter };
    },
  };
}
