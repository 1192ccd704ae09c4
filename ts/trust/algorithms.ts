// The signature algorithms of the trust contracts, on their own so that the
// error vocabulary (errors.ts) can name them without importing the key
// parsers that report those errors.

/** Signature algorithms of the trust contracts. */
export type SignatureAlgorithm = 'ed25519' | 'ecdsa-p256';
