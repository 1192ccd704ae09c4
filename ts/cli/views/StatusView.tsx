// The fleet table of `nixfleet status`: a header with one line per channel
// (its rollout, wave progress, artifact age) and one row per host (status
// label by precedence, closure current→declared, failing enforce probes,
// pin marker), then the failing compliance controls by id. The same component renders the live Ink view, the one-shot
// TTY print and — through renderToString — the plain text for pipes.
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { ApiChannel } from '../../contracts/index.ts';
import { formatAge } from '../duration.ts';
import {
  channelFreshness,
  classifyHosts,
  closurePair,
  formatFreshness,
  holdText,
  LABEL_COLOR,
  LABEL_TEXT,
  pinMarker,
  STATUS_LABELS,
  type ClassifiedHost,
  type StatusLabel,
} from '../status/labels.ts';
import { FAILED_ROLLOUT_STATES, type FleetSnapshot, type RolloutRow } from '../status/snapshot.ts';
import { parseTimestamp } from '../../trust/index.ts';
import { fleetVerdict } from '../status/verdict.ts';
import { FailingControlsTable } from './ControlsTable.tsx';
import { Table, type TableColumn } from './Table.tsx';

export { classifyHosts, type ClassifiedHost } from '../status/labels.ts';

/** Props of {@link StatusView}. */
export interface StatusViewProps {
  /** The fleet to show. */
  readonly snapshot: FleetSnapshot;
  /** Terminal width in columns. */
  readonly width: number;
  /** Whether to use colour. */
  readonly color: boolean;
  /** A line under the table (live view: refresh time, last error). */
  readonly footer?: string | undefined;
}

interface ChannelLine {
  readonly channel: ApiChannel;
  readonly rollout: RolloutRow | null;
  readonly artifact: string;
  readonly stale: boolean;
}

/** `wave 2/3` of a rollout, `done` once it ended, `—` without waves. */
export function waveText(r: RolloutRow): string {
  if (r.waves.length === 0) return '—';
  if (r.currentWave === null) return r.terminalAt !== null ? 'done' : `0/${r.waves.length}`;
  return `${r.currentWave + 1}/${r.waves.length}`;
}

/** `5/8 converged` over every wave of a rollout. */
export function progressText(r: RolloutRow): string {
  const total = r.waves.reduce((a, w) => a + w.hosts, 0);
  const done = r.waves.reduce((a, w) => a + w.converged, 0);
  const failed = r.waves.reduce((a, w) => a + w.failed, 0);
  return `${done}/${total} converged${failed > 0 ? `, ${failed} failed` : ''}`;
}

const channelColumns: readonly TableColumn<ChannelLine>[] = [
  { header: 'CHANNEL', cell: (l) => l.channel.name, min: 7, priority: 0 },
  {
    header: 'ROLLOUT',
    cell: (l) => l.rollout?.displayName ?? l.channel.activeRollout ?? '—',
    min: 8,
    max: 28,
    priority: 1,
  },
  {
    header: 'STATE',
    cell: (l) => l.rollout?.state ?? '—',
    min: 6,
    priority: 1,
    color: (l) => (l.rollout && FAILED_ROLLOUT_STATES.has(l.rollout.state) ? 'red' : undefined),
  },
  { header: 'WAVE', cell: (l) => (l.rollout ? waveText(l.rollout) : '—'), min: 4, priority: 2 },
  {
    header: 'PROGRESS',
    cell: (l) => (l.rollout ? progressText(l.rollout) : '—'),
    min: 8,
    priority: 3,
  },
  {
    header: 'ARTIFACT',
    cell: (l) => l.artifact,
    min: 8,
    priority: 1,
    color: (l) => (l.stale ? 'red' : undefined),
  },
  { header: 'QUEUED', cell: (l) => l.channel.queuedRollout ?? '', min: 6, priority: 4 },
];

function hostColumns(now: number, hosts: readonly ClassifiedHost[]): TableColumn<ClassifiedHost>[] {
  // The label is the point of the screen: never cut it, however narrow.
  const labelWidth = Math.max(6, ...hosts.map((c) => LABEL_TEXT[c.status.label].length));
  return [
    { header: 'HOST', cell: (c) => c.host.hostname, min: 6, max: 32, priority: 0 },
    {
      header: 'STATUS',
      cell: (c) => LABEL_TEXT[c.status.label],
      min: labelWidth,
      priority: 0,
      color: (c) => LABEL_COLOR[c.status.label],
    },
    // Wide enough for `offline 2h05m, enroll refused: CP_ERR_NONCE_NOT_ALLOWED 3m ago`:
    // the refusal code is what tells the operator what to fix.
    { header: 'DETAIL', cell: (c) => c.status.detail, min: 8, max: 64, priority: 2 },
    { header: 'CHANNEL', cell: (c) => c.host.channel, min: 6, max: 16, priority: 4 },
    { header: 'CLOSURE', cell: (c) => closurePair(c.host), min: 7, priority: 3 },
    {
      header: 'PROBES',
      cell: (c) =>
        c.host.failingEnforceProbes.length === 0
          ? ''
          : `✗ ${c.host.failingEnforceProbes.join(',')}`,
      min: 6,
      max: 30,
      priority: 1,
      color: (c) => (c.host.failingEnforceProbes.length > 0 ? 'red' : undefined),
    },
    { header: 'PIN', cell: (c) => pinMarker(c.host), min: 4, priority: 3 },
    {
      header: 'SEEN',
      cell: (c) => {
        const at = c.host.lastSeenAt === null ? null : parseTimestamp(c.host.lastSeenAt);
        return at === null ? 'never' : `${formatAge(now - at)} ago`;
      },
      min: 4,
      priority: 5,
    },
  ];
}

/** `2 converged, 1 in flight, 1 failed` in precedence order. */
export function summaryText(hosts: readonly ClassifiedHost[]): string {
  const counts = new Map<StatusLabel, number>();
  for (const h of hosts) counts.set(h.status.label, (counts.get(h.status.label) ?? 0) + 1);
  const parts = STATUS_LABELS.filter((l) => counts.has(l)).map(
    (l) => `${counts.get(l)} ${LABEL_TEXT[l].slice(2)}`,
  );
  return `${hosts.length} host${hosts.length === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/**
 * The fleet status screen.
 *
 * @example renderToString(<StatusView snapshot={snap} width={120} color={false} />)
 */
export function StatusView(props: StatusViewProps): ReactElement {
  const { snapshot, width, color } = props;
  const byId = new Map(snapshot.rollouts.rollouts.map((r) => [r.rolloutId, r]));
  const lines: ChannelLine[] = snapshot.channels.map((channel) => {
    const f = channelFreshness(channel, snapshot.now);
    return {
      channel,
      rollout: channel.activeRollout === null ? null : (byId.get(channel.activeRollout) ?? null),
      artifact: formatFreshness(f),
      stale: f.stale,
    };
  });
  const hosts = classifyHosts(snapshot);
  const verdict = fleetVerdict(snapshot);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end" bold={color}>
        {`NixFleet ${snapshot.cpUrl} · ${summaryText(hosts)}`}
      </Text>
      {hosts.length === 0 ? (
        <Text wrap="wrap">
          No hosts: the control plane has no verified fleet.resolved with hosts yet (check `nixfleet
          release` and the CP log).
        </Text>
      ) : (
        <Box flexDirection="column">
          <Text> </Text>
          <Table
            columns={channelColumns}
            rows={lines}
            rowKey={(l) => l.channel.name}
            width={width}
            color={color}
          />
          {lines.map((l) =>
            l.rollout?.hold ? (
              <Text key={`hold-${l.channel.name}`} wrap="wrap" color={color ? 'yellow' : undefined}>
                {`${l.rollout.rolloutId}: ${holdText(l.rollout.hold, snapshot.now)}`}
              </Text>
            ) : null,
          )}
          <Text> </Text>
          <Table
            columns={hostColumns(snapshot.now, hosts)}
            rows={hosts}
            rowKey={(c) => c.host.hostname}
            width={width}
            color={color}
          />
          {snapshot.failingControls.length === 0 ? null : (
            <Box flexDirection="column">
              <Text> </Text>
              <FailingControlsTable
                controls={snapshot.failingControls}
                width={width}
                color={color}
              />
            </Box>
          )}
        </Box>
      )}
      <Box marginTop={1}>
        <Text wrap="wrap" color={color ? (verdict.healthy ? 'green' : 'red') : undefined}>
          {verdict.summary}
        </Text>
      </Box>
      {props.footer !== undefined ? (
        <Box marginTop={1}>
          <Text wrap="truncate-end" dimColor={color}>
            {props.footer}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
