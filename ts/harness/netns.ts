// The harness network: each simulated host in its own network namespace,
// joined to the control plane by a veth pair on a bridge the run creates
// itself (addresses from 198.18.0.0/15, the RFC 2544 benchmarking range,
// never routed off the bridge). Cutting a host's network sets its veth down:
// its connections fail with ENETUNREACH, as on a real partition. Where
// namespaces are unavailable (not root, no iproute2), every host shares
// loopback and network faults are reported as unsupported.
import { execFileSync } from 'node:child_process';

/** Where a host's processes run and how the CP is reached from there. */
export interface HostNet {
  readonly name: string;
  /** Network namespace to `ip netns exec` into; null on loopback. */
  readonly netns: string | null;
  readonly address: string;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** True when this process can create network namespaces. */
export function namespacesAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `nfprobe${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

/** A bridge plus one namespace per host; `destroy()` removes everything it made. */
export class NetworkLab {
  readonly mode: 'netns' | 'loopback';
  /** Address the CP listens on, reachable from every host. */
  readonly cpAddress: string;
  private readonly id: string;
  private readonly hosts = new Map<string, HostNet>();
  private readonly bridge: string;
  private next = 10;

  constructor(options: { readonly useNamespaces: boolean; readonly subnet: number }) {
    this.mode = options.useNamespaces ? 'netns' : 'loopback';
    // Interface names are at most 15 characters: keep the id short.
    this.id = `${process.pid % 100000}${options.subnet}`;
    this.bridge = `nfb${this.id}`;
    this.subnet = options.subnet;
    this.cpAddress = this.mode === 'netns' ? `198.18.${options.subnet}.1` : '127.0.0.1';
    if (this.mode === 'netns') {
      ip(['link', 'add', this.bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${this.cpAddress}/24`, 'dev', this.bridge]);
      ip(['link', 'set', this.bridge, 'up']);
    }
  }

  private readonly subnet: number;

  /** Creates the host's namespace (or returns its loopback placement). */
  addHost(name: string): HostNet {
    const existing = this.hosts.get(name);
    if (existing) return existing;
    if (this.mode === 'loopback') {
      const h = { name, netns: null, address: '127.0.0.1' };
      this.hosts.set(name, h);
      return h;
    }
    const n = this.next++;
    const netns = `nf${this.id}h${n}`;
    const veth = `nfv${this.id}h${n}`;
    const address = `198.18.${this.subnet}.${n}`;
    ip(['netns', 'add', netns]);
    ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
    ip(['link', 'set', `${veth}p`, 'netns', netns]);
    ip(['link', 'set', veth, 'master', this.bridge, 'up']);
    ip(['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/24`, 'dev', `${veth}p`]);
    ip(['netns', 'exec', netns, 'ip', 'link', 'set', `${veth}p`, 'up']);
    ip(['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    const h = { name, netns, address };
    this.hosts.set(name, h);
    return h;
  }

  /** The argv prefix that runs a command inside the host's namespace. */
  wrap(host: string, argv: readonly string[]): string[] {
    const h = this.hosts.get(host);
    return h?.netns ? ['ip', 'netns', 'exec', h.netns, ...argv] : [...argv];
  }

  /** Partitions a host from the CP (its link goes down). */
  cut(host: string): void {
    this.setLink(host, 'down');
  }

  /** Heals a partition. */
  restore(host: string): void {
    this.setLink(host, 'up');
    // Addresses the host failed to resolve while cut stay FAILED in its
    // neighbour table for a while (EHOSTUNREACH after the link is back);
    // a healed cable resolves afresh.
    const ns = this.hosts.get(host)?.netns;
    if (ns) ip(['-n', ns, 'neigh', 'flush', 'all']);
  }

  private setLink(host: string, state: 'up' | 'down'): void {
    const h = this.hosts.get(host);
    if (!h?.netns)
      throw new Error(
        `network faults need network namespaces (run as root); host ${host} is on loopback`,
      );
    const veth = h.netns.replace(/^nf(\w+)h(\d+)$/, 'nfv$1h$2');
    ip(['link', 'set', veth, state]);
  }

  /** Removes every namespace and the bridge; safe to call twice. */
  destroy(): void {
    if (this.mode !== 'netns') return;
    for (const h of this.hosts.values()) {
      try {
        if (h.netns) ip(['netns', 'del', h.netns]);
      } catch {
        /* already gone */
      }
    }
    this.hosts.clear();
    try {
      ip(['link', 'del', this.bridge]);
    } catch {
      /* already gone */
    }
  }
}
