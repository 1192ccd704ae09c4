// Operator client certificates for `nixfleet mint-operator-cert`: an ed25519
// key and a clientAuth certificate signed by the fleet CA through the same
// issuer the CP uses for agent certificates (ts/cp/pki/issuer.ts). The
// subject is `CN=operator:<name>`: `:` cannot occur in a host name, so an
// operator certificate can never pass for an agent's. Must never write the CA
// key anywhere.
import { CaError, issueClientCertificate, loadCaSigner } from '../../cp/pki/issuer.ts';
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
  try {
    const ca = await loadCaSigner({ certPem: req.caCertPem, keyPem: req.caKeyPem });
    const c = await issueClientCertificate(ca, {
      commonName: `operator:${req.name}`,
      publicKeyRaw: req.key.publicKey.raw,
      now: req.now.getTime(),
      validityMs: req.validityMs,
    });
    return { ...c, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) };
  } catch (e) {
    if (!(e instanceof CaError)) throw e;
    throw new CliError('CLI_ERR_KEY', `fleet CA: ${e.message}`, { cause: e });
  }
}
