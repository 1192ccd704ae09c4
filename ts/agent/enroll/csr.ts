// Certificate signing requests whose key is the host's SSH ed25519 key
// (RFC-0003 §2: compromising the cert and the host key are the same event).
// Owns the PKCS#10 encoding; must never generate a new key.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PrivateKey } from '../../trust/index.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * PEM CSR with `CN=<hostname>`, self-signed by the host key.
 *
 * @example const pem = await createCsr(hostKey.key, 'web-01');
 */
export async function createCsr(key: PrivateKey, hostname: string): Promise<string> {
  const pkcs8 = key.keyObject.export({ format: 'der', type: 'pkcs8' });
  const alg = { name: 'Ed25519' } as const;
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey.raw]);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${hostname}`,
    keys: { privateKey, publicKey } as unknown as x509.Pkcs10CertificateRequestCreateParams['keys'],
    signingAlgorithm: alg,
  });
  return csr.toString('pem');
}
