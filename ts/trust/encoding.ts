// Byte encodings used by the trust contracts: standard padded base64 (keys,
// fingerprints, token signatures), lowercase hex (hashes, seeds) and strict
// UTF-8. Decoders are strict on purpose: Node's own base64 decoder skips
// characters it does not understand, which would let two different strings in
// trust.json name the same key.

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes standard, padded base64; `null` for anything else (URL-safe
 * alphabet, missing padding, whitespace, non-zero trailing bits).
 *
 * @example
 *   decodeBase64Strict('AAE=') // Uint8Array [0, 1]
 */
export function decodeBase64Strict(text: string): Uint8Array | null {
  if (!BASE64_RE.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-canonical trailing bits ("AAF=" vs "AAE=").
  if (bytes.toString('base64') !== text) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Encodes bytes as standard, padded base64.
 *
 * @example
 *   encodeBase64(new Uint8Array([0, 1])) // 'AAE='
 */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes hex (either case, even length); `null` when malformed.
 *
 * @example
 *   decodeHex('00ff') // Uint8Array [0, 255]
 */
export function decodeHex(text: string): Uint8Array | null {
  if (!HEX_RE.test(text)) return null;
  const bytes = Buffer.from(text, 'hex');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Encodes bytes as lowercase hex.
 *
 * @example
 *   encodeHex(new Uint8Array([0, 255])) // '00ff'
 */
export function encodeHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Decodes UTF-8 strictly: invalid sequences yield `null` and a leading BOM is
 * kept as U+FEFF, so decoding is a bijection and string equality after
 * decoding is byte equality before it.
 *
 * @example
 *   decodeUtf8Strict(new Uint8Array([0x7b, 0x7d])) // '{}'
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Encodes a string as UTF-8.
 *
 * @example
 *   encodeUtf8('{}') // Uint8Array [0x7b, 0x7d]
 */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/**
 * Constant-shape byte comparison (lengths first, then every byte).
 *
 * @example
 *   bytesEqual(a, b)
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
