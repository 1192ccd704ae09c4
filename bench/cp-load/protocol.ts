// Messages between the cp-load benchmark (bench/cp-load.bench.ts, the
// parent) and its generator processes (bench/cp-load/generator.ts), each of
// which drives a share of the simulated agents. Over Node's IPC channel.
import type { RouteCounts } from './failover-client.ts';

/** One simulated agent handed to a generator: its global index and credentials. */
export interface AgentSpec {
  /** Position in the fleet (0 … N-1): staggers its first long-poll. */
  readonly index: number;
  readonly hostname: string;
  readonly cert: string;
  readonly key: string;
}

/** A generator's own event-loop delay over the rollout phase (ms). */
export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export type ToGenerator =
  | {
      readonly t: 'init';
      /** The control planes' ports, leader (or the single CP) first. */
      readonly ports: readonly number[];
      readonly caPem: string;
      /** Seeds every agent's draws (activation steps, heartbeat phase): the same fleet, the same run. */
      readonly seed: number;
      /** Fleet size (the stagger of first long-polls spans the whole fleet). */
      readonly fleetSize: number;
      readonly heartbeatSecs: number;
      readonly jitterMs: number;
      readonly agents: readonly AgentSpec[];
    }
  /** Connect every agent (at most `concurrency` at once) and send a first heartbeat. */
  | { readonly t: 'connect'; readonly concurrency: number; readonly storm?: StormSpec }
  /** Drop every agent's session (a CP restart or a network cut). */
  | { readonly t: 'drop' }
  /** Start heartbeating every `heartbeatSecs` and long-polling; run dispatches. */
  | { readonly t: 'run' }
  /** Stop the agents, drop every session, report the rollout phase. */
  | { readonly t: 'stop' }
  | { readonly t: 'exit' };

/**
 * How agents reconnect in a reconnect storm (bench/reconnect-storm.bench.ts):
 * each waits its agent's reconnect delay (ts/core/cp-endpoints, `u` from a
 * seeded generator) within `spreadMs`, and offers its last TLS ticket when
 * `resume`.
 */
export interface StormSpec {
  readonly spreadMs: number;
  readonly resume: boolean;
  readonly seed: number;
}

export type FromGenerator =
  | { readonly t: 'ready' }
  | { readonly t: 'dropped' }
  | {
      readonly t: 'connected';
      /** Latency of each first heartbeat answered 200 (ms). */
      readonly heartbeatMs: number[];
      readonly failed: number;
      /** The failed heartbeats by status, or by the start of the error. */
      readonly failures: Record<string, number>;
      /** This process's CPU over the connect (s). */
      readonly cpuSecs: number;
      /** TLS handshakes that resumed a session / that were full. */
      readonly resumed: number;
      readonly full: number;
      /** Per agent: ms from the order to its heartbeat answered. */
      readonly doneMs: number[];
    }
  /** Sent every second while running. */
  | { readonly t: 'progress'; readonly converged: number }
  | {
      readonly t: 'stopped';
      readonly eventMs: number[];
      /** Event latencies by wave (index = wave). */
      readonly eventMsByWave: number[][];
      readonly heartbeatMs: number[];
      readonly converged: number;
      /** Where this generator's requests went since `init`, by replica. */
      readonly routes: RouteCounts;
      readonly loop: LoopDelay;
      readonly cpuSecs: number;
    }
  | { readonly t: 'error'; readonly message: string };
