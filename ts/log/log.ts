// The one log shape of the NixFleet daemons (docs/operators.md, "Logs"):
// pino JSON lines whose base fields — service, pid, hostname, version — are
// the same for the control plane and the agent, so one log pipeline query
// (journald, Loki, jq) filters both. Owns logger construction only; the
// messages and their fields belong to the callers.
import { hostname as osHostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import { packageVersion } from '../version/version.ts';

export type { Logger };

/** The programs that log in this shape. */
export type Service = 'nixfleet-control-plane' | 'nixfleet-agent';

/**
 * Builds a daemon's logger. `hostname` is the host the process speaks for:
 * the machine's own name by default, the agent's fleet host name (its
 * `--machine-id`) when given — several agents may share a machine in tests
 * and the harness, and an operator searches by the fleet's name.
 *
 * @example const log = createLogger({ service: 'nixfleet-agent', level: 'info', hostname: 'web-01' });
 */
export function createLogger(options: {
  readonly service: Service;
  readonly level: string;
  readonly hostname?: string;
  readonly destination?: DestinationStream;
}): Logger {
  const base = {
    service: options.service,
    pid: process.pid,
    hostname: options.hostname ?? osHostname(),
    version: packageVersion(),
  };
  const opts = { level: options.level, base };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that drops everything (tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
