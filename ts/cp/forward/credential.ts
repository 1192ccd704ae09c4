// The client certificate a replica forwards requests to the leader with:
// CN `replica:<name>`, clientAuth, signed by the fleet CA the replica holds
// anyway (it issues agent certificates), for a key made in memory and never
// written. Short-lived and re-minted at half its life, so a copy taken from
// a running process is of little use. Must never be issued for any other CN
// (the CA refuses `replica:` names to everyone else, pki/ca.ts).
import { generateKeyPairSync } from 'node:crypto';
import type { FleetCa } from '../pki/ca.ts';
import { REPLICA_CN_PREFIX } from '../routes/access.ts';

/** Lifetime of a replica certificate (ms). */
export const REPLICA_CERT_LIFETIME_MS = 60 * 60_000;

/** One minted credential. */
export interface ReplicaCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly serial: string;
  readonly notAfter: number;
}

/** The current replica certificate, minted on first use and again at half its life. */
export interface ReplicaCredential {
  readonly cn: string;
  current(): Promise<ReplicaCert>;
}

/**
 * The credential of the replica named `name` (its advertised `host:port`).
 *
 * @example const cred = replicaCredential(ca, 'cp-b.example:8443', () => Date.now()); (await cred.current()).certPem
 */
export function replicaCredential(ca: FleetCa, name: string, now: () => number): ReplicaCredential {
  const cn = `${REPLICA_CN_PREFIX}${name}`;
  let cert: ReplicaCert | null = null;
  let minting: Promise<ReplicaCert> | null = null;
  let renewAt = 0;
  const mint = async (): Promise<ReplicaCert> => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const at = now();
    const issued = await ca.issue({
      hostname: cn,
      publicKeyRaw: new Uint8Array(spki.subarray(spki.length - 32)),
      fingerprint: 'in-memory',
      now: at,
      validityMs: REPLICA_CERT_LIFETIME_MS,
      via: 'replica',
      nonce: null,
    });
    renewAt = at + (issued.notAfter - at) / 2;
    return {
      certPem: issued.certPem,
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      serial: issued.serial,
      notAfter: issued.notAfter,
    };
  };
  return {
    cn,
    async current() {
      if (cert !== null && now() < renewAt) return cert;
      minting ??= mint().finally(() => (minting = null));
      cert = await minting;
      return cert;
    },
  };
}
