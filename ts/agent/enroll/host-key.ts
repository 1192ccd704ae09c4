// The host identity (RFC-0003 §2): the SSH host ed25519 key signs CSRs and
// evidence, and is the TLS client key. Owns reading the OpenSSH private key
// file once. Must never write or log the key.
import { exportPkcs8Pem, parsePrivateKey, type PrivateKey } from '../../trust/index.ts';
import { readConfiguredFile } from '../config/configured-file.ts';
import { AgentError } from '../errors.ts';

/** The loaded host key and its PKCS#8 PEM (for TLS). */
export interface HostKey {
  readonly key: PrivateKey;
  readonly pkcs8Pem: string;
}

/**
 * Loads the SSH host key (OpenSSH or PKCS#8 file); throws AGENT_ERR_HOST_KEY.
 *
 * @example const host = loadHostKey('/etc/ssh/ssh_host_ed25519_key');
 */
export function loadHostKey(path: string): HostKey {
  const bytes = readConfiguredFile(path, {
    code: 'AGENT_ERR_HOST_KEY',
    what: 'host key',
    fix: "set --ssh-host-key-file to the host's ed25519 key (sshd generates /etc/ssh/ssh_host_ed25519_key)",
  });
  const parsed = parsePrivateKey(bytes.toString('utf8'));
  if (!parsed.ok) {
    throw new AgentError('AGENT_ERR_HOST_KEY', `host key ${path}: ${parsed.error.message}`);
  }
  if (parsed.value.algorithm !== 'ed25519') {
    throw new AgentError('AGENT_ERR_HOST_KEY', `host key ${path} is not ed25519`);
  }
  return { key: parsed.value, pkcs8Pem: exportPkcs8Pem(parsed.value) };
}
