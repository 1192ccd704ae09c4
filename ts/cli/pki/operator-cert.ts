// Operator client certificates for `nixfleet mint-operator-cert`: an ed25519
// key and a clientAuth certificate signed by the fleet CA, with the same
// extension profile the CP's FleetCa gives agent certificates (ts/cp/pki,
// whose x509 binding this reuses). The subject is `CN=operator:<name>`: `:`
// cannot occur in a host name, so an operator certificate can never pass for
// an agent's. Must never write the CA key anywhere.
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { spkiFromRawEd25519, x509 } from '../../cp/pki/x509.ts';
import type { PrivateKey } from '../../trust/index.ts';
import { CliError } from '../errors.ts';

/** Operator names: what follows `operator:` in the CN. */
export const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/;

/** An issued operator certificate. */
export interface OperatorCert {
  readonly certPem: string;
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Inputs of {@link issueOperatorCert}. */
export interface IssueOperatorCert {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly name: string;
  /** The operator's ed25519 key (its public half goes into the certificate). */
  readonly key: PrivateKey;
  readonly now: Date;
  readonly validityMs: number;
}

/**
 * Issues `CN=operator:<name>`, clientAuth, signed by the fleet CA (ed25519
 * or P-256 CA key). The validity never outlives the CA certificate.
 *
 * @example const c = await issueOperatorCert({ caCertPem, caKeyPem, name: 'alice', key, now, validityMs });
 */
export async function issueOperatorCert(req: IssueOperatorCert): Promise<OperatorCert> {
  if (!OPERATOR_NAME.test(req.name)) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--name ${JSON.stringify(req.name)}: letters, digits, . _ @ - (at most 63)`,
    );
  }
  if (req.key.algorithm !== 'ed25519')
    throw new CliError('CLI_ERR_KEY', 'operator keys are ed25519');
  let ca: x509.X509Certificate;
  let signingKey: webcrypto.CryptoKey;
  let signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
  try {
    ca = new x509.X509Certificate(req.caCertPem);
    const keyObject = createPrivateKey(req.caKeyPem);
    // The CA key must be the CA certificate's key, or every handshake fails later.
    const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
    if (!spki.equals(Buffer.from(ca.publicKey.rawData))) {
      throw new Error('the CA key does not belong to the CA certificate');
    }
    const der = keyObject.export({ format: 'der', type: 'pkcs8' });
    if (keyObject.asymmetricKeyType === 'ed25519') {
      signingAlgorithm = { name: 'Ed25519' };
      signingKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, [
        'sign',
      ]);
    } else if (
      keyObject.asymmetricKeyType === 'ec' &&
      keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1'
    ) {
      signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams;
      signingKey = await webcrypto.subtle.importKey(
        'pkcs8',
        der,
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign'],
      );
    } else {
      throw new Error(
        `unsupported CA key type ${keyObject.asymmetricKeyType ?? 'unknown'} (ed25519 or P-256)`,
      );
    }
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `fleet CA: ${(e as Error).message}`, { cause: e });
  }
  const notBefore = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  if (ca.notAfter.getTime() <= notBefore.getTime()) {
    throw new CliError('CLI_ERR_KEY', `the fleet CA expired at ${ca.notAfter.toISOString()}`);
  }
  const notAfter = new Date(Math.min(notBefore.getTime() + req.validityMs, ca.notAfter.getTime()));
  const serialBytes = randomBytes(16);
  serialBytes[0] = (serialBytes[0] as number) & 0x7f;
  const serial = serialBytes.toString('hex');
  const publicKey = new x509.PublicKey(spkiFromRawEd25519(req.key.publicKey.raw));
  const subject = `CN=operator:${req.name}`;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey,
    publicKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.AuthorityKeyIdentifierExtension(
        (await x509.SubjectKeyIdentifierExtension.create(ca.publicKey)).keyId,
      ),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), subject, serial, notBefore, notAfter };
}
