// The fleet CA's offline half: the self-signed CA certificate and the CP's
// TLS server certificate, made by `nixfleet pki …` (and by the test PKIs,
// so tests run against the same profile operators deploy). Pure of files
// like issuer.ts: callers hold the keys and write the PEMs. The CP itself
// never runs this code: it only issues client certificates (issuer.ts).
import { createPrivateKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { randomSerial, type CaSigner } from './issuer.ts';
import { x509 } from './x509.ts';

/** The WebCrypto algorithms a fleet CA or a server key can use. */
export const KEY_ALGORITHMS = {
  ed25519: { name: 'Ed25519' },
  p256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
} as const;

/** A key algorithm name of {@link KEY_ALGORITHMS}. */
export type KeyAlgorithm = keyof typeof KEY_ALGORITHMS;

/** A self-signed CA: its key pair, certificate and signing algorithm. */
export interface CaCertificate {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
  readonly algorithm: (typeof KEY_ALGORITHMS)[KeyAlgorithm];
}

/** A new extractable key pair for signing. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHMS[algorithm], true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

/**
 * A CA certificate (basicConstraints CA critical, keyCertSign|cRLSign, SKI)
 * with a new key, valid from `notBefore` to `notAfter`.
 *
 * @example const ca = await createCaCertificate({ cn: 'example fleet CA', algorithm: 'ed25519', notBefore, notAfter });
 */
export async function createCaCertificate(args: {
  readonly cn: string;
  readonly algorithm: KeyAlgorithm;
  readonly notBefore: Date;
  readonly notAfter: Date;
}): Promise<CaCertificate> {
  const algorithm = KEY_ALGORITHMS[args.algorithm];
  const keys = await generateKeyPair(args.algorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ CN: [args.cn] }]),
    notBefore: args.notBefore,
    notAfter: args.notAfter,
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

/** The names a server certificate is valid for. */
export interface ServerNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Why `names` cannot go into a server certificate, or null: at least one
 * name, DNS names in hostname syntax (a leading `*.` allowed), IPs that
 * parse as IPv4 or IPv6.
 *
 * @example serverNamesProblem({ dns: ['cp.example.org'], ips: [] }) // null
 */
export function serverNamesProblem(names: ServerNames): string | null {
  if (names.dns.length + names.ips.length === 0) return 'no DNS name and no IP address';
  for (const d of names.dns) {
    if (d.length > 253 || !DNS_NAME.test(d)) return `${JSON.stringify(d)} is not a DNS name`;
  }
  for (const ip of names.ips) {
    if (isIP(ip) === 0) return `${JSON.stringify(ip)} is not an IP address`;
  }
  return null;
}

/**
 * The DNS names and IPs in a certificate's subjectAltName (empty when it has none).
 *
 * @example serverNamesOf(cert) // { dns: ['cp.example.org'], ips: ['10.0.0.1'] }
 */
export function serverNamesOf(cert: x509.X509Certificate): ServerNames {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') dns.push(n.value);
    if (n.type === 'ip') ips.push(n.value);
  }
  return { dns, ips };
}

/** An issued server certificate. */
export interface ServerCert {
  readonly certPem: string;
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Issues the CP's TLS certificate for `names` (serverAuth, digitalSignature,
 * not a CA, SANs, authority and subject key ids), signed by the fleet CA.
 * notBefore is an hour before `now`: a host whose clock runs behind must
 * still accept the CP. The validity never outlives the CA.
 *
 * @example const c = await issueServerCertificate(ca, { names, publicKey, now, validityMs });
 */
export async function issueServerCertificate(
  ca: CaSigner,
  req: {
    readonly names: ServerNames;
    readonly publicKey: webcrypto.CryptoKey;
    readonly now: Date;
    readonly validityMs: number;
  },
): Promise<ServerCert> {
  const problem = serverNamesProblem(req.names);
  if (problem !== null) throw new Error(`server certificate names: ${problem}`);
  const now = Math.floor(req.now.getTime() / 1000) * 1000;
  const caExpiry = ca.cert.notAfter.getTime();
  if (caExpiry <= now) {
    throw new Error(`the fleet CA expired at ${new Date(caExpiry).toISOString()}`);
  }
  const notBefore = new Date(Math.max(now - 3_600_000, ca.cert.notBefore.getTime()));
  const notAfter = new Date(Math.min(now + req.validityMs, caExpiry));
  const serial = randomSerial();
  const cn = req.names.dns[0] ?? req.names.ips[0] ?? '';
  const subject = new x509.Name([{ CN: [cn] }]).toString();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingKey: ca.key,
    publicKey: req.publicKey,
    signingAlgorithm: ca.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...req.names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...req.names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      new x509.AuthorityKeyIdentifierExtension(ca.authorityKeyId),
      await x509.SubjectKeyIdentifierExtension.create(req.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), subject, serial, notBefore, notAfter };
}
