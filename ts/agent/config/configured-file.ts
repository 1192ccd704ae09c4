// Reads a file the agent's configuration names, and says what to fix when it
// cannot: a path that does not exist is a configuration error (the given
// code, exit 2: fix the flag); a file that is there but cannot be read is a
// start failure (AGENT_ERR_START_FAILED, exit 1: fix the file). Never puts
// file contents in an error.
import { readFileSync } from 'node:fs';
import { AgentError, type AgentErrorCode } from '../errors.ts';

/** What the file is and how to point the agent at the right one. */
export interface ConfiguredFile {
  /** Error code when the path does not exist. */
  readonly code: AgentErrorCode;
  /** What the file is, for the message ("host key"). */
  readonly what: string;
  /** The fix, a sentence fragment ("set --trust-file to …"). */
  readonly fix: string;
}

/**
 * The bytes of `path`, or a typed error that says what to change.
 *
 * @example readConfiguredFile('/etc/ssh/ssh_host_ed25519_key', { code: 'AGENT_ERR_HOST_KEY', what: 'host key', fix: 'set --ssh-host-key-file' });
 */
export function readConfiguredFile(path: string, file: ConfiguredFile): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (errno === 'ENOENT') {
      throw new AgentError(file.code, `${file.what} ${path} does not exist; ${file.fix}`, {
        cause: e,
        context: { path, errno },
      });
    }
    throw new AgentError(
      'AGENT_ERR_START_FAILED',
      `${file.what} ${path} cannot be read (${errno}); make it a regular file readable by the agent's user`,
      { cause: e, context: { path, errno } },
    );
  }
}
