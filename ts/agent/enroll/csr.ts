// Certificate signing requests whose key is the host's SSH ed25519 key
// (RFC-0003 §2: compromising the cert and the host key are the same event).
// Owns the PKCS#10 encoding; must never generate a new key.
//
// The request has one shape (RFC 2986: version 0, subject `CN=<hostname>`,
// an ed25519 SubjectPublicKeyInfo, no attributes, an ed25519 signature), so
// it is written here as DER with node's crypto signing it, not with an X.509
// library: an agent makes a CSR at enrollment and renewal only, and a library
// loaded for it stayed resident for the life of the process (~6 MB of an
// idle agent's memory budget, bench/startup.bench.ts).
import { sign } from 'node:crypto';
import type { PrivateKey } from '../../trust/index.ts';

/** DER length octets: short form below 128, long form above (X.690 §8.1.3). */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER TLV. */
function der(tag: number, ...content: readonly Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const SEQUENCE = 0x30;
const SET = 0x31;
const BIT_STRING = 0x03;
/** INTEGER 0: the PKCS#10 version. */
const VERSION_0 = Buffer.from('020100', 'hex');
/** OBJECT IDENTIFIER 2.5.4.3 (commonName). */
const OID_CN = Buffer.from('0603550403', 'hex');
/** AlgorithmIdentifier { 1.3.101.112 (Ed25519) }, no parameters (RFC 8410 §3). */
const ALG_ED25519 = Buffer.from('300506032b6570', 'hex');
/** `[0]` attributes, empty. */
const NO_ATTRIBUTES = Buffer.from('a000', 'hex');
/** Characters a PrintableString may hold (X.680 §41.4); anything else is a UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * PEM CSR with `CN=<hostname>`, self-signed by the host key.
 *
 * @example const pem = await createCsr(hostKey.key, 'web-01');
 */
export function createCsr(key: PrivateKey, hostname: string): Promise<string> {
  const cn = Buffer.from(hostname, 'utf8');
  const subject = der(
    SEQUENCE,
    der(SET, der(SEQUENCE, OID_CN, der(PRINTABLE.test(hostname) ? 0x13 : 0x0c, cn))),
  );
  const spki = der(
    SEQUENCE,
    ALG_ED25519,
    der(BIT_STRING, Buffer.from([0]), Buffer.from(key.publicKey.raw)),
  );
  const info = der(SEQUENCE, VERSION_0, subject, spki, NO_ATTRIBUTES);
  const signature = sign(null, info, key.keyObject);
  const csr = der(SEQUENCE, info, ALG_ED25519, der(BIT_STRING, Buffer.from([0]), signature));
  const b64 = csr.toString('base64').replace(/.{1,64}/g, '$&\n');
  return Promise.resolve(
    `-----BEGIN CERTIFICATE REQUEST-----\n${b64}-----END CERTIFICATE REQUEST-----`,
  );
}
