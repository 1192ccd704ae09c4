// The fleet CA's issuing half: loads the CA certificate and key from files
// and issues short-lived client certificates whose key is the host's ed25519
// key (the certificate itself is made by issuer.ts, shared with the CLI). Every issuance is appended to an append-only JSON-lines log that
// lives outside the database (it survives a wipe). Must never generate or
// hold any key other than the CA key it was given.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CpError } from '../errors.ts';
import { REPLICA_CN_PREFIX } from '../routes/access.ts';
import { issueClientCertificate, loadCaSigner, type CaSigner } from './issuer.ts';

/** Parameters of one issuance. */
export interface IssueRequest {
  readonly hostname: string;
  readonly publicKeyRaw: Uint8Array;
  readonly fingerprint: string;
  readonly now: number;
  readonly validityMs: number;
  /**
   * Why: `enroll`, `enroll-reissue` (a lost-response retry of an
   * enrollment), `renew`, or `replica` (the certificate a replica forwards
   * requests with; `hostname` is then its whole `replica:` CN).
   */
  readonly via: 'enroll' | 'enroll-reissue' | 'renew' | 'replica';
  /** Token nonce for enrollments. */
  readonly nonce: string | null;
  /** For `enroll-reissue`: which certificate of the token this is (2, 3, …). */
  readonly issue?: number;
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

/**
 * Loads the CA from PEM files (certificate; PKCS#8 or SEC1 key, ed25519 or
 * P-256; the key must be the certificate's) and binds the issuance log path.
 *
 * @example const ca = await loadFleetCa({ certFile, keyFile, issuanceLog });
 */
export async function loadFleetCa(options: {
  readonly certFile: string;
  readonly keyFile: string;
  readonly issuanceLog: string;
}): Promise<FleetCa> {
  let signer: CaSigner;
  try {
    signer = await loadCaSigner({
      certPem: readFileSync(options.certFile, 'utf8'),
      keyPem: readFileSync(options.keyFile),
    });
  } catch (e) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `fleet CA: ${(e as Error).message}`,
      { certFile: options.certFile, keyFile: options.keyFile },
      { cause: e },
    );
  }
  mkdirSync(dirname(options.issuanceLog), { recursive: true });
  return {
    certPem: signer.certPem,
    async issue(req) {
      // The replica CN space is the replicas' own: an enrollment or renewal
      // naming a `replica:` host (or a replica certificate without the
      // prefix) would let a certificate stand for what it is not.
      if (req.hostname.startsWith(REPLICA_CN_PREFIX) !== (req.via === 'replica')) {
        throw new CpError(
          'CP_ERR_FORBIDDEN',
          `the fleet CA issues ${REPLICA_CN_PREFIX}… certificates to replicas only`,
          { hostname: req.hostname.slice(0, 64), via: req.via },
        );
      }
      const issued = await issueClientCertificate(signer, {
        commonName: req.hostname,
        publicKeyRaw: req.publicKeyRaw,
        now: req.now,
        validityMs: req.validityMs,
      });
      // Append before answering: an issued certificate is never unlogged.
      appendFileSync(
        options.issuanceLog,
        JSON.stringify({
          at: new Date(req.now).toISOString(),
          via: req.via,
          hostname: req.hostname,
          serial: issued.serial,
          fingerprint: req.fingerprint,
          notBefore: new Date(issued.notBefore).toISOString(),
          notAfter: new Date(issued.notAfter).toISOString(),
          nonce: req.nonce,
          ...(req.issue === undefined ? {} : { issue: req.issue }),
        }) + '\n',
        { flag: 'a' },
      );
      return {
        certPem: issued.certPem,
        serial: issued.serial,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      };
    },
  };
}
