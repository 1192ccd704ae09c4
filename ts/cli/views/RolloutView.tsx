// The live rollout screen of `nixfleet watch` and `nixfleet rollout hosts`:
// waves as progress bars, budgets in flight, per-host state with time in
// state and the latest decision naming the host, the failing compliance
// controls by id, and the planner's most
// recent decisions with their reasons ("held: budget etcd 1/1 in flight").
// Presentational only: the container (WatchApp) polls and passes snapshots.
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { Decision } from '../../contracts/index.ts';
import { parseTimestamp } from '../../trust/index.ts';
import { formatAge, formatMinutes } from '../duration.ts';
import {
  channelFreshness,
  closurePair,
  formatFreshness,
  holdText,
  type HostRow,
} from '../status/labels.ts';
import {
  FAILED_ROLLOUT_STATES,
  type RolloutRow,
  type RolloutSnapshot,
} from '../status/snapshot.ts';
import { FailingControlsTable } from './ControlsTable.tsx';
import { Table, type TableColumn } from './Table.tsx';

/** Props of {@link RolloutView}. */
export interface RolloutViewProps {
  /** What to show. */
  readonly snapshot: RolloutSnapshot;
  /** Terminal width in columns. */
  readonly width: number;
  /** Whether to use colour. */
  readonly color: boolean;
  /** How many recent decisions to list (default 8). */
  readonly decisions?: number;
  /** A red banner (e.g. the last poll failed). */
  readonly error?: string | null;
  /** A dim line at the bottom (refresh time, keys). */
  readonly footer?: string | undefined;
}

/** A host of the rollout's channel as the view shows it. */
export interface RolloutHostLine {
  readonly hostname: string;
  /** RFC-0005 state in this rollout, or `Queued` when not dispatched in it. */
  readonly state: string;
  /** Time in that state (ms), null when unknown. */
  readonly forMs: number | null;
  readonly closure: string;
  /** Why it is where it is: probe failures, quarantine, latest decision. */
  readonly note: string;
}

const STATE_COLOR: Readonly<Record<string, string>> = {
  Failed: 'red',
  Reverted: 'red',
  Quarantined: 'red',
  Deferred: 'yellow',
  Converged: 'green',
  Pending: 'cyan',
  Activating: 'cyan',
  Soaking: 'cyan',
  Queued: 'gray',
};

/**
 * The per-host lines of a rollout (exported for `rollout hosts --json` and tests).
 *
 * @example rolloutHostLines(snapshot)[0]?.note // 'held: budget tags=etcd 1/1 in flight'
 */
export function rolloutHostLines(snapshot: RolloutSnapshot): RolloutHostLine[] {
  const rollout = snapshot.rollout;
  if (rollout === null) return [];
  const latest = new Map<string, Decision>();
  for (const d of snapshot.decisions)
    if (d.host !== null && !latest.has(d.host)) latest.set(d.host, d);
  return snapshot.hosts.map((h: HostRow) => {
    const inRollout = h.rolloutId === rollout.rolloutId;
    let state = inRollout && h.state !== null ? h.state : 'Queued';
    if (h.quarantinedClosure !== null && !inRollout) state = 'Quarantined';
    const since = inRollout && h.stateSince !== null ? parseTimestamp(h.stateSince) : null;
    const notes: string[] = [];
    if (!h.reachable) notes.push('offline');
    if (h.pendingReboot) notes.push('⟳ pending reboot');
    if (h.quarantinedClosure !== null)
      notes.push(`quarantined ${h.quarantinedClosure.slice(0, 7)}`);
    if (h.failingEnforceProbes.length > 0) {
      // An evidence probe names its failing controls: `✗ evidence-nis2[audit-logging,ssh-no-password]`.
      const named = h.failingEnforceProbes.map((p) => {
        const ids = snapshot.failingControls
          .filter((c) => c.hostname === h.hostname && c.probe === p)
          .map((c) => c.controlId);
        return ids.length === 0 ? p : `${p}[${ids.join(',')}]`;
      });
      notes.push(`✗ ${named.join(',')}`);
    }
    // A decision older than the host's present state described an earlier
    // one (a Converged host's "dispatching …"); it is not shown as current.
    const d = latest.get(h.hostname);
    const decidedAt = d === undefined ? null : parseTimestamp(d.ts);
    if (d !== undefined && (since === null || decidedAt === null || decidedAt >= since)) {
      notes.push(d.reason);
    }
    return {
      hostname: h.hostname,
      state,
      forMs: since === null ? null : snapshot.now - since,
      closure: closurePair(h),
      note: notes.join(' · '),
    };
  });
}

/**
 * A progress bar `██████░░░░` of `done` out of `total` in `width` cells.
 *
 * @example progressBar(1, 2, 10) // '█████░░░░░'
 */
export function progressBar(done: number, total: number, width: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled));
}

function waveLine(r: RolloutRow, w: RolloutRow['waves'][number], bar: number): string {
  const marker = r.currentWave === w.index ? '▸' : ' ';
  const parts = [`${w.converged}/${w.hosts} converged`];
  if (w.inFlight > 0) parts.push(`${w.inFlight} in flight`);
  if (w.pending > 0) parts.push(`${w.pending} pending`);
  if (w.deferred > 0) parts.push(`${w.deferred} awaiting reboot`);
  if (w.failed > 0) parts.push(`${w.failed} failed`);
  // A wave without a soak reads as none, not as a zero-hour window.
  parts.push(`soak ${w.soakMinutes > 0 ? formatMinutes(w.soakMinutes) : '—'}`);
  return `${marker} wave ${w.index}  ${progressBar(w.converged, w.hosts, bar)}  ${parts.join('  ')}`;
}

function clock(ts: string): string {
  const m = /T(\d\d:\d\d:\d\d)/.exec(ts);
  return m?.[1] ?? ts;
}

/** The host table's columns (the watch screen and `rollout hosts`). */
export const ROLLOUT_HOST_COLUMNS: readonly TableColumn<RolloutHostLine>[] = [
  { header: 'HOST', cell: (l) => l.hostname, min: 6, max: 32, priority: 0 },
  {
    header: 'STATE',
    cell: (l) => l.state,
    min: 10,
    priority: 0,
    color: (l) => STATE_COLOR[l.state],
  },
  { header: 'FOR', cell: (l) => formatAge(l.forMs), min: 5, priority: 1 },
  { header: 'CLOSURE', cell: (l) => l.closure, min: 7, priority: 3 },
  { header: 'NOTE', cell: (l) => l.note, min: 12, priority: 2 },
];

const decisionColumns: readonly TableColumn<Decision>[] = [
  { header: 'TIME', cell: (d) => clock(d.ts), min: 8, priority: 0 },
  { header: 'DECISION', cell: (d) => d.decision, min: 8, priority: 2 },
  {
    header: 'HOST',
    cell: (d) => d.host ?? (d.wave !== null ? `wave ${d.wave}` : '—'),
    min: 6,
    max: 24,
    priority: 1,
  },
  { header: 'REASON', cell: (d) => d.reason, min: 16, priority: 0 },
];

function Section(props: { readonly title: string; readonly color: boolean }): ReactElement {
  return (
    <Box marginTop={1}>
      <Text bold={props.color} underline={props.color}>
        {props.title}
      </Text>
    </Box>
  );
}

/**
 * The rollout screen.
 *
 * @example render(<RolloutView snapshot={snap} width={100} color />)
 */
export function RolloutView(props: RolloutViewProps): ReactElement {
  const { snapshot, width, color } = props;
  const r = snapshot.rollout;
  const banner =
    props.error !== undefined && props.error !== null ? (
      <Text color={color ? 'red' : undefined} wrap="truncate-end">{`✗ ${props.error}`}</Text>
    ) : null;
  const footer =
    props.footer !== undefined ? (
      <Box marginTop={1}>
        <Text dimColor={color} wrap="truncate-end">
          {props.footer}
        </Text>
      </Box>
    ) : null;
  if (r === null) {
    return (
      <Box flexDirection="column" width={width}>
        {banner}
        <Text wrap="wrap">
          {snapshot.requested === null
            ? `No rollouts on ${snapshot.cpUrl} yet: one opens when a signed release changes a channel.`
            : `Rollout ${snapshot.requested} is not known to ${snapshot.cpUrl} (\`nixfleet rollout list\`).`}
        </Text>
        {footer}
      </Box>
    );
  }
  const stateColor = !color
    ? undefined
    : FAILED_ROLLOUT_STATES.has(r.state)
      ? 'red'
      : r.state === 'Terminal'
        ? 'green'
        : 'cyan';
  const opened = r.openedAt === null ? null : parseTimestamp(r.openedAt);
  const info = [`channel ${r.channel}`];
  if (snapshot.channel !== null) info.push(`policy ${snapshot.channel.rolloutPolicy}`);
  if (opened !== null) info.push(`opened ${formatAge(snapshot.now - opened)} ago`);
  if (snapshot.channel !== null) {
    info.push(`artifact ${formatFreshness(channelFreshness(snapshot.channel, snapshot.now))}`);
    if (snapshot.channel.queuedRollout !== null)
      info.push(`queued ${snapshot.channel.queuedRollout}`);
  }
  const bar = Math.max(5, Math.min(20, width - 60));
  const lines = rolloutHostLines(snapshot);
  const decisions = snapshot.decisions.slice(0, props.decisions ?? 8);
  return (
    <Box flexDirection="column" width={width}>
      {banner}
      <Text wrap="truncate-end">
        <Text bold={color}>{r.rolloutId}</Text>
        {'  '}
        <Text color={stateColor} bold={color}>
          {r.state}
        </Text>
        {r.displayName !== r.rolloutId ? `  (${r.displayName})` : ''}
      </Text>
      <Text wrap="wrap">{info.join(' · ')}</Text>
      {r.hold ? (
        <Text wrap="wrap" color={color ? 'yellow' : undefined}>
          {holdText(r.hold, snapshot.now)}
        </Text>
      ) : null}
      {snapshot.pacing === null ? null : (
        <Text wrap="wrap" color={color ? 'yellow' : undefined}>
          {`pacing: ${snapshot.pacing.heldDispatches} dispatches held by admission control, released at ${snapshot.pacing.dispatchRatePerSec} hosts/s (fleet-wide)`}
        </Text>
      )}
      <Section title="Waves" color={color} />
      {r.waves.length === 0 ? <Text>{'  (no waves)'}</Text> : null}
      {r.waves.map((w) => (
        <Text key={w.index} wrap="truncate-end">
          {waveLine(r, w, bar)}
        </Text>
      ))}
      <Section title="Budgets in flight" color={color} />
      {r.budgets.length === 0 ? <Text>{'  (no disruption budgets)'}</Text> : null}
      {r.budgets.map((b) => (
        <Text
          key={b.label}
          wrap="truncate-end"
          color={color && b.inFlight >= b.limit ? 'yellow' : undefined}
        >
          {`  ${b.label}  ${b.inFlight}/${b.limit} in flight${b.inFlight >= b.limit ? '  (saturated)' : ''}`}
        </Text>
      ))}
      <Section title={`Hosts (${lines.length})`} color={color} />
      {lines.length === 0 ? (
        <Text>{`  (no hosts on channel ${r.channel})`}</Text>
      ) : (
        <Table
          columns={ROLLOUT_HOST_COLUMNS}
          rows={lines}
          rowKey={(l) => l.hostname}
          width={width}
          color={color}
        />
      )}
      {snapshot.failingControls.length === 0 ? null : (
        <Box flexDirection="column">
          <Section title={`Failing controls (${snapshot.failingControls.length})`} color={color} />
          <FailingControlsTable controls={snapshot.failingControls} width={width} color={color} />
        </Box>
      )}
      <Section title="Recent decisions" color={color} />
      {decisions.length === 0 ? (
        <Text>{'  (none yet)'}</Text>
      ) : (
        <Table
          columns={decisionColumns}
          rows={decisions}
          rowKey={(d, i) => `${i}|${d.ts}|${d.code}`}
          width={width}
          color={color}
        />
      )}
      {footer}
    </Box>
  );
}
