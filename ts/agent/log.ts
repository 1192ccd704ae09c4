// The agent's logger: the shared daemon log shape of ts/log (service
// `nixfleet-agent`, hostname = the fleet host name), object first, errors
// under `err`. Must never log secrets.
import type { DestinationStream } from 'pino';
import { createLogger as createDaemonLogger, type Logger } from '../log/log.ts';

/**
 * Creates the daemon logger.
 *
 * @example const log = createLogger({ level: 'info', hostname: 'web-01' });
 */
export function createLogger(options: {
  readonly level: string;
  readonly hostname: string;
  readonly destination?: DestinationStream;
}): Logger {
  return createDaemonLogger({ service: 'nixfleet-agent', ...options });
}
