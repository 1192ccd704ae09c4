// Invariant `ackedEventsLogged`: every event an agent holds as acknowledged
// is in the control plane's event log. The agent's outbox appends an event
// to its rollout's journal (`<state>/journal/<rollout>.jsonl`) only after the
// CP answered 2xx, so the journals are the agents' own record of what the CP
// acknowledged; after a leader is killed, the surviving log must hold each of
// them, matched by host, rollout and the agent's seq.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiRolloutEvents } from '../contracts/index.ts';
import { eventBody, rolloutOf } from './event-log.ts';

type LogEvent = ApiRolloutEvents['events'][number];

/** One acknowledged event an agent journaled. */
export interface AckedEvent {
  readonly host: string;
  readonly rolloutId: string;
  readonly seq: number;
  readonly kind: string;
}

/** Every event the hosts' outboxes journaled as delivered (2xx). */
export function readAckedEvents(
  hosts: readonly string[],
  stateDir: (h: string) => string,
): AckedEvent[] {
  const out: AckedEvent[] = [];
  for (const host of hosts) {
    const dir = join(stateDir(host), 'journal');
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    } catch {
      continue;
    }
    for (const f of files) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const e = JSON.parse(line) as { rollout_id?: unknown; seq?: unknown; kind?: unknown };
          if (typeof e.rollout_id === 'string' && typeof e.seq === 'number')
            out.push({ host, rolloutId: e.rollout_id, seq: e.seq, kind: String(e.kind) });
        } catch {
          // A torn last line after a kill: that event was still in the outbox, not acknowledged.
        }
      }
    }
  }
  return out;
}

/**
 * The violations: each acknowledged event missing from the log. No
 * acknowledged event at all is a violation (nothing was checked).
 */
export function checkAckedEventsLogged(
  acked: readonly AckedEvent[],
  events: readonly LogEvent[],
): string[] {
  if (acked.length === 0) return ['ackedEventsLogged: no agent journaled an acknowledged event'];
  const logged = new Set<string>();
  for (const e of events) {
    if (!e.kind.startsWith('Remote')) continue;
    const p = e.payload as { hostname?: unknown } | null;
    const seq = eventBody(e)['seq'];
    const rollout = rolloutOf(e);
    if (typeof p?.hostname === 'string' && typeof seq === 'number' && rollout !== null)
      logged.add(`${p.hostname}\u0000${rollout}\u0000${seq}`);
  }
  return acked
    .filter((a) => !logged.has(`${a.host}\u0000${a.rolloutId}\u0000${a.seq}`))
    .map(
      (a) =>
        `ackedEventsLogged: ${a.host}'s ${a.kind} seq ${a.seq} of ${a.rolloutId} was acknowledged but is not in the event log`,
    );
}
