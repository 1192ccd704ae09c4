// Test PKI shared by harness and integration tests: a fleet CA (ed25519), a
// server certificate whose SANs the caller chooses (loopback, or a harness
// bridge address), and client certificates — real X.509 from @peculiar/x509
// over node's WebCrypto, the library the control plane issues with.
import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from '../cp/pki/x509.ts';
import { createTestCa, pkcs8Pem } from './test-ca.ts';

const ED = { name: 'Ed25519' } as const;
type KeyPair = webcrypto.CryptoKeyPair;

/** Files of a fleet CA and a CP server certificate, plus a client-certificate issuer. */
export interface FleetPki {
  readonly caCertFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Writes `<name>.pem` / `<name>.key` for a client certificate with CN `cn`. */
  client(cn: string, name: string): Promise<{ certFile: string; keyFile: string }>;
}

let serial = 1;

/** Creates a CA and a server certificate for `serverAddresses` (IPs or DNS names) under `dir`. */
export async function makeFleetPki(
  dir: string,
  serverAddresses: readonly string[],
): Promise<FleetPki> {
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const { keys: caKeys, cert: ca } = await createTestCa({
    cn: 'nixfleet harness fleet CA',
    algorithm: 'ed25519',
  });
  const issue = async (
    cn: string,
    publicKey: webcrypto.CryptoKey,
    server: boolean,
  ): Promise<string> => {
    const sans = serverAddresses.map((a) =>
      /^[0-9.:]+$/.test(a) ? { type: 'ip' as const, value: a } : { type: 'dns' as const, value: a },
    );
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(8, '0'),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      // An hour back, like the CA: a host whose clock runs behind (skewClock)
      // must still accept the CP's certificate.
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 7 * 86_400_000),
      signingKey: caKeys.privateKey,
      publicKey,
      signingAlgorithm: ED,
      extensions: server
        ? [
            new x509.SubjectAlternativeNameExtension(sans),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          ]
        : [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    return cert.toString('pem');
  };
  const newKey = async (): Promise<KeyPair> =>
    (await webcrypto.subtle.generateKey(ED, true, ['sign', 'verify'])) as KeyPair;
  const server = await newKey();
  const files = {
    caCertFile: join(dir, 'fleet-ca.pem'),
    caKeyFile: join(dir, 'fleet-ca.key'),
    serverCertFile: join(dir, 'cp-server.pem'),
    serverKeyFile: join(dir, 'cp-server.key'),
  };
  writeFileSync(files.caCertFile, ca.toString('pem'));
  writeFileSync(files.caKeyFile, await pkcs8Pem(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(
    files.serverCertFile,
    await issue(serverAddresses[0] ?? 'localhost', server.publicKey, true),
  );
  writeFileSync(files.serverKeyFile, await pkcs8Pem(server.privateKey), { mode: 0o600 });
  return {
    ...files,
    async client(cn, name) {
      const k = await newKey();
      const certFile = join(dir, `${name}.pem`);
      const keyFile = join(dir, `${name}.key`);
      writeFileSync(certFile, await issue(cn, k.publicKey, false));
      writeFileSync(keyFile, await pkcs8Pem(k.privateKey), { mode: 0o600 });
      return { certFile, keyFile };
    },
  };
}
