// Structured logging for the control-plane daemon: pino JSON lines, object
// first, errors under `err`. Owns logger construction only.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Builds the CP logger (`name: nixfleet-control-plane`).
 *
 * @example const log = createLogger({ level: 'info' }); log.info({ host }, 'dispatched');
 */
export function createLogger(options: {
  readonly level: string;
  readonly destination?: DestinationStream;
}): Logger {
  const base = { name: 'nixfleet-control-plane', level: options.level };
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that drops everything (tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
