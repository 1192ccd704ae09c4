// Private keys for the signing side (release sign hook, bootstrap-token
// minting, host evidence signing, dev and test key generation). Reads every
// encoding the book's tools accept — OpenSSH private key files, PKCS#8 / SEC1
// PEM, raw 32-byte or hex seeds — and writes PKCS#8 and OpenSSH. The caller
// reads the file; this module only sees its contents.
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { decodeBase64Strict, decodeHex, decodeUtf8Strict } from './encoding.ts';
import { keyError, type KeyError } from './errors.ts';
import { publicKeyFromRaw, type PublicKey, type SignatureAlgorithm } from './keys.ts';
import { formatOpenSshPrivateKey, parseOpenSshPrivateKey } from './openssh.ts';
import { err, ok, type Result } from './result.ts';

/** A private key with its public half. */
export interface PrivateKey {
  readonly algorithm: SignatureAlgorithm;
  /** node:crypto key object, used by {@link signBytes}. */
  readonly keyObject: KeyObject;
  readonly publicKey: PublicKey;
}

/** Options for {@link parsePrivateKey}. */
export interface ParsePrivateKeyOptions {
  /** Algorithm of a raw or hex seed (default `ed25519`); PEM and OpenSSH files carry their own. */
  readonly algorithm?: SignatureAlgorithm;
}

const b64url = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const fromB64url = (s: string | undefined): Uint8Array =>
  Uint8Array.from(Buffer.from(s ?? '', 'base64url'));

function fromKeyObject(keyObject: KeyObject): Result<PrivateKey, KeyError> {
  let algorithm: SignatureAlgorithm;
  let raw: Uint8Array;
  const jwk = createPublicKey(keyObject).export({ format: 'jwk' });
  if (keyObject.asymmetricKeyType === 'ed25519') {
    algorithm = 'ed25519';
    raw = fromB64url(jwk.x);
  } else if (
    keyObject.asymmetricKeyType === 'ec' &&
    keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  ) {
    algorithm = 'ecdsa-p256';
    raw = new Uint8Array([...fromB64url(jwk.x), ...fromB64url(jwk.y)]);
  } else {
    const type = keyObject.asymmetricKeyType ?? 'unknown';
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    return err(
      keyError(
        'UnsupportedKey',
        `key type ${type}${curve ? ` (${curve})` : ''} is neither ed25519 nor P-256`,
      ),
    );
  }
  const publicKey = publicKeyFromRaw(algorithm, raw);
  return publicKey.ok
    ? ok(Object.freeze({ algorithm, keyObject, publicKey: publicKey.value }))
    : publicKey;
}

/**
 * Builds a private key from a 32-byte seed: the RFC 8032 private key for
 * ed25519, the secret scalar (big-endian) for ecdsa-p256.
 *
 * @example
 *   privateKeyFromSeed('ed25519', new Uint8Array(32).fill(7))
 */
export function privateKeyFromSeed(
  algorithm: SignatureAlgorithm,
  seed: Uint8Array,
): Result<PrivateKey, KeyError> {
  if (seed.length !== 32)
    return err(keyError('InvalidKey', `${algorithm} seed must be 32 bytes, got ${seed.length}`));
  try {
    if (algorithm === 'ed25519') {
      // PKCS#8 wrapping of an Ed25519 seed (RFC 8410 §7): fixed 16-byte prefix.
      const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
      return fromKeyObject(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    }
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(seed);
    const point = ecdh.getPublicKey(); // 0x04 ‖ X ‖ Y
    return fromKeyObject(
      createPrivateKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          d: b64url(seed),
          x: b64url(point.subarray(1, 33)),
          y: b64url(point.subarray(33)),
        },
        format: 'jwk',
      }),
    );
  } catch (e) {
    return err(keyError('InvalidKey', `${algorithm} seed rejected: ${(e as Error).message}`));
  }
}

/**
 * Reads a private key in any supported encoding: OpenSSH private key file,
 * PKCS#8 PEM (`BEGIN PRIVATE KEY`), SEC1 PEM (`BEGIN EC PRIVATE KEY`), exactly
 * 32 raw bytes, or a 64-character hex / 44-character base64 seed.
 *
 * @example
 *   parsePrivateKey(readFileSync('org-root.key'))
 *   parsePrivateKey('9d61b19d…7f60', { algorithm: 'ed25519' })
 */
export function parsePrivateKey(
  input: string | Uint8Array,
  options: ParsePrivateKeyOptions = {},
): Result<PrivateKey, KeyError> {
  const algorithm = options.algorithm ?? 'ed25519';
  let textual: string;
  if (typeof input === 'string') {
    textual = input;
  } else {
    // A 32-byte file is a raw seed: no textual encoding of a key is that short.
    if (input.length === 32) return privateKeyFromSeed(algorithm, input);
    const decoded = decodeUtf8Strict(input);
    if (decoded === null)
      return err(keyError('InvalidKey', `unrecognised ${input.length}-byte binary key file`));
    textual = decoded;
  }
  const trimmed = textual.trim();
  if (trimmed.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    const parsed = parseOpenSshPrivateKey(trimmed);
    if (!parsed.ok) return parsed;
    const key = privateKeyFromSeed('ed25519', parsed.value.seed);
    if (
      key.ok &&
      !Buffer.from(key.value.publicKey.raw).equals(Buffer.from(parsed.value.publicKey))
    ) {
      return err(
        keyError('InvalidKey', 'OpenSSH private key does not match its stored public key'),
      );
    }
    return key;
  }
  if (/^-----BEGIN (EC )?PRIVATE KEY-----/.test(trimmed)) {
    try {
      return fromKeyObject(createPrivateKey({ key: trimmed, format: 'pem' }));
    } catch (e) {
      return err(keyError('InvalidKey', `PEM private key rejected: ${(e as Error).message}`));
    }
  }
  if (/^-----BEGIN /.test(trimmed)) {
    return err(keyError('UnsupportedKey', `unsupported PEM block ${trimmed.split('\n')[0] ?? ''}`));
  }
  const hex = /^[0-9a-fA-F]{64}$/.test(trimmed) ? decodeHex(trimmed) : null;
  if (hex) return privateKeyFromSeed(algorithm, hex);
  const b64 = trimmed.length === 44 ? decodeBase64Strict(trimmed) : null;
  if (b64 && b64.length === 32) return privateKeyFromSeed(algorithm, b64);
  return err(
    keyError(
      'InvalidKey',
      'unrecognised private key encoding (expected OpenSSH, PKCS#8 PEM, or a 32-byte seed)',
    ),
  );
}

/**
 * Generates a fresh key pair (dev, tests, and `nixfleet` key tooling).
 *
 * @example
 *   const key = generatePrivateKey('ecdsa-p256');
 *   key.publicKey.base64 // goes into trust.json
 */
export function generatePrivateKey(algorithm: SignatureAlgorithm): PrivateKey {
  const { privateKey } =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = fromKeyObject(privateKey);
  if (!key.ok) throw new Error(`generatePrivateKey: ${key.error.message}`);
  return key.value;
}

/**
 * The 32-byte seed of a key (ed25519 seed, or P-256 secret scalar).
 *
 * @example
 *   exportSeed(key).length // 32
 */
export function exportSeed(key: PrivateKey): Uint8Array {
  const d = fromB64url(key.keyObject.export({ format: 'jwk' }).d);
  // JWK `d` for P-256 is always 32 bytes; ed25519 seeds are 32 bytes by definition.
  return d;
}

/**
 * PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a key.
 *
 * @example
 *   writeFileSync('ci-release.pem', exportPkcs8Pem(key), { mode: 0o600 })
 */
export function exportPkcs8Pem(key: PrivateKey): string {
  return key.keyObject.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * OpenSSH private key file of an ed25519 key (host keys).
 *
 * @example
 *   exportOpenSshPrivateKey(hostKey, { comment: 'root@web-01' })
 */
export function exportOpenSshPrivateKey(
  key: PrivateKey,
  options: { readonly comment?: string } = {},
): Result<string, KeyError> {
  if (key.algorithm !== 'ed25519') {
    return err(
      keyError('UnsupportedKey', 'only ed25519 keys have an OpenSSH host-key encoding here'),
    );
  }
  return ok(
    formatOpenSshPrivateKey({
      seed: exportSeed(key),
      publicKey: key.publicKey.raw,
      comment: options.comment ?? '',
    }),
  );
}
