// The client certificate on disk: validity window and the 50%-of-lifetime
// renewal instant (RFC-0003 §2). Must never touch the key.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Facts about the current client certificate. */
export interface CertificateInfo {
  readonly notBefore: number;
  readonly notAfter: number;
  /** When renewal is due: halfway through the lifetime. */
  readonly renewAt: number;
  readonly subject: string;
}

/**
 * Reads a PEM certificate; `null` when absent or unparseable.
 *
 * @example const info = readCertificate('/var/lib/nixfleet-agent/tls/client.crt');
 */
export function readCertificate(path: string): CertificateInfo | null {
  try {
    return certificateInfo(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Parses a PEM certificate's validity; throws when it is not one. */
export function certificateInfo(pem: string): CertificateInfo {
  const c = new X509Certificate(pem);
  const notBefore = Date.parse(c.validFrom);
  const notAfter = Date.parse(c.validTo);
  return {
    notBefore,
    notAfter,
    renewAt: notBefore + Math.floor((notAfter - notBefore) / 2),
    subject: c.subject,
  };
}
