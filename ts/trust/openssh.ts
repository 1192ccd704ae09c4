// OpenSSH key encodings for host keys (CONTRACTS.md "Host keys"): the
// `ssh-ed25519 AAAA…` public line and the `openssh-key-v1` private key file
// (`/etc/ssh/ssh_host_ed25519_key`, PROTOCOL.key in the OpenSSH sources).
// Only unencrypted ed25519 keys are read; host keys are never passphrase-
// protected, and anything else is refused with a typed error.
import { createHash } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { keyError, type KeyError } from './errors.ts';
import { err, ok, type Result } from './result.ts';

const KEY_TYPE = 'ssh-ed25519';
const AUTH_MAGIC = 'openssh-key-v1\0';
const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const PEM_END = '-----END OPENSSH PRIVATE KEY-----';

/** The parts of an OpenSSH ed25519 public key line. */
export interface OpenSshPublicKey {
  /** Raw 32-byte ed25519 public key. */
  readonly raw: Uint8Array;
  /** Trailing comment (`root@web-01`), empty when absent. */
  readonly comment: string;
}

/** The parts of an unencrypted OpenSSH ed25519 private key file. */
export interface OpenSshPrivateKey {
  /** 32-byte ed25519 seed (the RFC 8032 private key). */
  readonly seed: Uint8Array;
  /** Raw 32-byte public key stored alongside. */
  readonly publicKey: Uint8Array;
  readonly comment: string;
}

/** Reads SSH wire-format values (RFC 4251 §5) from a buffer. */
class SshReader {
  private offset = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  uint32(): number | null {
    if (this.remaining < 4) return null;
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return (
      (((b[o] as number) << 24) |
        ((b[o + 1] as number) << 16) |
        ((b[o + 2] as number) << 8) |
        (b[o + 3] as number)) >>>
      0
    );
  }

  bytes(n: number): Uint8Array | null {
    if (this.remaining < n) return null;
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  string(): Uint8Array | null {
    const n = this.uint32();
    return n === null ? null : this.bytes(n);
  }
}

function sshString(bytes: Uint8Array | string): Uint8Array {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

// The public key blob: string "ssh-ed25519", string key(32).
function readPublicBlob(blob: Uint8Array): Result<Uint8Array, KeyError> {
  const r = new SshReader(blob);
  const type = r.string();
  if (type === null) return err(keyError('InvalidKey', 'truncated OpenSSH public key blob'));
  if (text(type) !== KEY_TYPE) {
    return err(
      keyError(
        'UnsupportedKey',
        `OpenSSH key type ${JSON.stringify(text(type))} is not ssh-ed25519`,
      ),
    );
  }
  const raw = r.string();
  if (raw === null || raw.length !== 32 || r.remaining !== 0) {
    return err(keyError('InvalidKey', 'ssh-ed25519 blob must hold exactly one 32-byte key'));
  }
  return ok(Uint8Array.from(raw));
}

function publicBlob(raw: Uint8Array): Uint8Array {
  return concat([sshString(KEY_TYPE), sshString(raw)]);
}

/**
 * Parses an `ssh-ed25519 AAAA… [comment]` line (surrounding whitespace ignored).
 *
 * @example
 *   parseOpenSshPublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… root@web-01')
 */
export function parseOpenSshPublicKey(line: string): Result<OpenSshPublicKey, KeyError> {
  const parts = line.trim().split(/\s+/);
  const [type, b64, ...rest] = parts;
  if (type !== KEY_TYPE || b64 === undefined) {
    return err(
      keyError(
        'UnsupportedKey',
        `expected "ssh-ed25519 <base64> [comment]", got ${JSON.stringify(line.trim().slice(0, 40))}`,
      ),
    );
  }
  const blob = decodeBase64Strict(b64);
  if (blob === null) return err(keyError('InvalidKey', 'OpenSSH public key is not valid base64'));
  const raw = readPublicBlob(blob);
  return raw.ok ? ok({ raw: raw.value, comment: rest.join(' ') }) : raw;
}

/**
 * Formats a raw ed25519 public key as an OpenSSH public key line.
 *
 * @example
 *   formatOpenSshPublicKey(raw32, 'root@web-01') // 'ssh-ed25519 AAAAC3Nza… root@web-01'
 */
export function formatOpenSshPublicKey(raw: Uint8Array, comment = ''): string {
  const line = `${KEY_TYPE} ${encodeBase64(publicBlob(raw))}`;
  return comment ? `${line} ${comment}` : line;
}

/**
 * Parses an OpenSSH private key file holding one unencrypted ed25519 key.
 *
 * @example
 *   parseOpenSshPrivateKey(readFileSync('/etc/ssh/ssh_host_ed25519_key', 'utf8'))
 */
export function parseOpenSshPrivateKey(pem: string): Result<OpenSshPrivateKey, KeyError> {
  const trimmed = pem.trim();
  if (!trimmed.startsWith(PEM_BEGIN) || !trimmed.endsWith(PEM_END)) {
    return err(
      keyError('InvalidKey', 'not an OpenSSH private key file (BEGIN OPENSSH PRIVATE KEY)'),
    );
  }
  const body = trimmed.slice(PEM_BEGIN.length, trimmed.length - PEM_END.length).replace(/\s+/g, '');
  const der = decodeBase64Strict(body);
  if (der === null)
    return err(keyError('InvalidKey', 'OpenSSH private key body is not valid base64'));
  const magic = Buffer.from(AUTH_MAGIC, 'latin1');
  if (der.length < magic.length || !Buffer.from(der.subarray(0, magic.length)).equals(magic)) {
    return err(keyError('InvalidKey', 'OpenSSH private key lacks the openssh-key-v1 magic'));
  }
  const r = new SshReader(der.subarray(magic.length));
  const cipher = r.string();
  const kdf = r.string();
  const kdfOptions = r.string();
  const count = r.uint32();
  if (cipher === null || kdf === null || kdfOptions === null || count === null) {
    return err(keyError('InvalidKey', 'truncated OpenSSH private key header'));
  }
  if (text(cipher) !== 'none' || text(kdf) !== 'none') {
    return err(
      keyError(
        'UnsupportedKey',
        'encrypted OpenSSH private keys are not supported (host keys have no passphrase)',
      ),
    );
  }
  if (count !== 1)
    return err(keyError('UnsupportedKey', `OpenSSH file holds ${count} keys; expected 1`));
  const pubBlob = r.string();
  const section = r.string();
  if (pubBlob === null || section === null)
    return err(keyError('InvalidKey', 'truncated OpenSSH private key'));
  const outerPub = readPublicBlob(pubBlob);
  if (!outerPub.ok) return outerPub;

  const s = new SshReader(section);
  const check1 = s.uint32();
  const check2 = s.uint32();
  if (check1 === null || check1 !== check2) {
    return err(
      keyError(
        'InvalidKey',
        'OpenSSH private section check integers differ (corrupt or encrypted)',
      ),
    );
  }
  const type = s.string();
  const pub = s.string();
  const priv = s.string();
  const comment = s.string();
  if (type === null || pub === null || priv === null || comment === null) {
    return err(keyError('InvalidKey', 'truncated OpenSSH private section'));
  }
  if (text(type) !== KEY_TYPE)
    return err(keyError('UnsupportedKey', `private key type ${text(type)} is not ssh-ed25519`));
  if (pub.length !== 32 || priv.length !== 64)
    return err(keyError('InvalidKey', 'ssh-ed25519 private section has wrong key lengths'));
  // The 64-byte private field is seed‖public; all three copies of the public key must agree.
  const seed = priv.subarray(0, 32);
  if (
    !Buffer.from(priv.subarray(32)).equals(Buffer.from(pub)) ||
    !Buffer.from(pub).equals(Buffer.from(outerPub.value))
  ) {
    return err(keyError('InvalidKey', 'OpenSSH private key holds inconsistent public keys'));
  }
  // Padding is 1, 2, 3, … up to the cipher block size (8 for "none").
  const padding = s.bytes(s.remaining) ?? new Uint8Array();
  if (padding.length >= 8 || padding.some((b, i) => b !== i + 1)) {
    return err(keyError('InvalidKey', 'OpenSSH private section has invalid padding'));
  }
  return ok({
    seed: Uint8Array.from(seed),
    publicKey: Uint8Array.from(pub),
    comment: text(comment),
  });
}

/**
 * Writes an unencrypted OpenSSH private key file for an ed25519 key, as
 * `ssh-keygen -t ed25519 -N ''` would. The check integer is derived from the
 * seed so the output is reproducible (it only detects wrong passphrases).
 *
 * @example
 *   formatOpenSshPrivateKey({ seed, publicKey, comment: 'root@web-01' })
 */
export function formatOpenSshPrivateKey(key: OpenSshPrivateKey): string {
  const checkint = createHash('sha256').update(key.seed).digest().readUInt32BE(0);
  const unpadded = concat([
    uint32(checkint),
    uint32(checkint),
    sshString(KEY_TYPE),
    sshString(key.publicKey),
    sshString(concat([key.seed, key.publicKey])),
    sshString(key.comment),
  ]);
  const padLen = (8 - (unpadded.length % 8)) % 8;
  const section = concat([unpadded, Uint8Array.from({ length: padLen }, (_, i) => i + 1)]);
  const der = concat([
    Buffer.from(AUTH_MAGIC, 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(new Uint8Array()),
    uint32(1),
    sshString(publicBlob(key.publicKey)),
    sshString(section),
  ]);
  const b64 = encodeBase64(der);
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `${PEM_BEGIN}\n${lines.join('\n')}\n${PEM_END}\n`;
}
