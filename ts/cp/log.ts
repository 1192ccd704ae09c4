// The control plane's logger: the shared daemon log shape of ts/log
// (service `nixfleet-control-plane`, the machine's hostname), object first,
// errors under `err`, typed errors' codes under `code`.
import { createLogger as createDaemonLogger, type Logger } from '../log/log.ts';
import type { DestinationStream } from 'pino';

export { silentLogger, type Logger } from '../log/log.ts';

/**
 * Builds the CP logger.
 *
 * @example const log = createLogger({ level: 'info' }); log.info({ host }, 'dispatched');
 */
export function createLogger(options: {
  readonly level: string;
  readonly destination?: DestinationStream;
}): Logger {
  return createDaemonLogger({ service: 'nixfleet-control-plane', ...options });
}
