// `nixfleet release --dry-run`: per channel, which selected hosts would change
// closure against the previous release and which stay. Pure: the shell
// evaluates the toplevels' store paths (no build) and reads the previous
// release; nothing is signed or written.
import type { FleetResolved } from '../../contracts/index.ts';

/** One channel of a dry run. */
export interface DryRunChannel {
  readonly channel: string;
  /** Selected hosts whose closure differs from the previous release (or that it lacks). */
  readonly change: readonly {
    readonly host: string;
    readonly from: string | null;
    readonly to: string;
  }[];
  /** Selected hosts whose closure is the previous release's. */
  readonly stay: readonly string[];
  /** Hosts not selected (--hosts): they keep the previous release's closure. */
  readonly notBuilt: readonly string[];
}

/** What a dry run prints (also its --json). */
export interface DryRunPlan {
  readonly dryRun: true;
  readonly previousRelease: boolean;
  readonly channels: readonly DryRunChannel[];
}

/**
 * Compares the evaluated closure of each selected host (store path basename)
 * with the previous release's `closureHash`.
 */
export function dryRunPlan(
  resolved: FleetResolved,
  selected: readonly string[],
  next: Readonly<Record<string, string>>,
  previous: { readonly hosts?: Record<string, { readonly closureHash?: string | null }> } | null,
): DryRunPlan {
  const byChannel = new Map<string, string[]>();
  for (const h of Object.keys(resolved.hosts).sort()) {
    const ch = resolved.hosts[h]!.channel;
    byChannel.set(ch, [...(byChannel.get(ch) ?? []), h]);
  }
  const channels = [...byChannel.keys()].sort().map((channel): DryRunChannel => {
    const change: { host: string; from: string | null; to: string }[] = [];
    const stay: string[] = [];
    const notBuilt: string[] = [];
    for (const host of byChannel.get(channel)!) {
      const to = selected.includes(host) ? next[host] : undefined;
      if (to === undefined) {
        notBuilt.push(host);
        continue;
      }
      const from = previous?.hosts?.[host]?.closureHash ?? null;
      if (from === to) stay.push(host);
      else change.push({ host, from, to });
    }
    return { channel, change, stay, notBuilt };
  });
  return { dryRun: true, previousRelease: previous !== null, channels };
}

/** The human form of a dry run. */
export function formatDryRun(plan: DryRunPlan): string {
  const lines = [
    `dry run: nothing built, pushed, signed or written${plan.previousRelease ? '' : ' (no previous release: every host changes)'}`,
  ];
  for (const c of plan.channels) {
    lines.push(
      `channel ${c.channel}: ${c.change.length} change, ${c.stay.length} stay${c.notBuilt.length > 0 ? `, ${c.notBuilt.length} not built` : ''}`,
    );
    for (const x of c.change)
      lines.push(`  change ${x.host.padEnd(24)} ${x.from ?? '(new)'} -> ${x.to}`);
    for (const h of c.stay) lines.push(`  stay   ${h}`);
    for (const h of c.notBuilt) lines.push(`  keep   ${h} (not selected)`);
  }
  return `${lines.join('\n')}\n`;
}
