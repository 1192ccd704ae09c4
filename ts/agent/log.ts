// The agent's logger: pino JSON lines (STYLE.md rule 7), object first,
// errors under `err`. Must never log secrets.
import { pino, type DestinationStream, type Logger } from 'pino';

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
  const base = { service: 'nixfleet-agent', host: options.hostname };
  return options.destination
    ? pino({ level: options.level, base }, options.destination)
    : pino({ level: options.level, base });
}
