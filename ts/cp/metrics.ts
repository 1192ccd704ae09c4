// A small Prometheus registry (text exposition format 0.0.4): counters,
// gauges and histograms with labels. Owns naming and rendering only; must
// never take a hostname as a label (cardinality grows with the fleet).

type Labels = Readonly<Record<string, string>>;

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

/** What a collected family reads at scrape time: one value, or one per label set. */
export type Collected = number | ReadonlyArray<readonly [Labels, number]>;

/** A counter or gauge read at scrape time (process state, the rollout book). */
class CollectedFamily implements Family {
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
    private readonly collect: () => Collected,
  ) {}
  render(): string[] {
    const v = this.collect();
    if (typeof v === 'number') return [`${this.name} ${v}`];
    return v.map(([labels, n]) => {
      const k = key(labels);
      return `${this.name}${k ? `{${k}}` : ''} ${n}`;
    });
  }
}

/** A monotonically increasing counter. */
export class Counter implements Family {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

/** A value that goes up and down. */
export class Gauge implements Family {
  readonly type = 'gauge' as const;
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.values.set(key(labels), value);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

/** Latency distribution in seconds, cumulative buckets. */
export class Histogram implements Family {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[] = DEFAULT_BUCKETS,
  ) {}
  observe(seconds: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.bounds.length; i++)
      if (seconds <= (this.bounds[i] as number)) s.buckets[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }
  count(labels: Labels = {}): number {
    return this.series.get(key(labels))?.count ?? 0;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const pre = k ? `${k},` : '';
      this.bounds.forEach((b, i) =>
        out.push(`${this.name}_bucket{${pre}le="${b}"} ${s.buckets[i]}`),
      );
      out.push(`${this.name}_bucket{${pre}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

/** Every metric the CP exports (documented in docs/control-plane.md). */
export class CpMetrics {
  private readonly families: Family[] = [];
  readonly httpRequests = this.add(
    new Counter('nixfleet_cp_http_requests_total', 'HTTP requests by route and status.'),
  );
  readonly eventsIngested = this.add(
    new Counter('nixfleet_cp_events_total', 'Agent events by kind and outcome.'),
  );
  readonly eventIngestSeconds = this.add(
    new Histogram('nixfleet_cp_event_ingest_seconds', 'Event ingest latency until durable commit.'),
  );
  readonly requestSeconds = this.add(
    new Histogram(
      'nixfleet_cp_request_seconds',
      'Request latency at the edge, by route: headers received to reply handed to TLS (parsing, validation, handler, durable commit; long-polls include their hold).',
    ),
  );
  readonly heartbeatSeconds = this.add(
    new Histogram(
      'nixfleet_cp_heartbeat_seconds',
      'Heartbeat handling latency until durable commit.',
    ),
  );
  readonly commitSeconds = this.add(
    new Histogram('nixfleet_cp_commit_seconds', 'Duration of one group commit.'),
  );
  readonly batchSize = this.add(
    new Histogram(
      'nixfleet_cp_commit_batch_size',
      'Commands per group commit.',
      [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    ),
  );
  readonly tickSeconds = this.add(
    new Histogram(
      'nixfleet_cp_reconcile_tick_seconds',
      'Reconcile tick duration (plan + apply + commit).',
    ),
  );
  readonly ticks = this.add(
    new Counter('nixfleet_cp_reconcile_ticks_total', 'Reconcile ticks by trigger.'),
  );
  readonly planActions = this.add(
    new Counter('nixfleet_cp_plan_actions_total', 'Plan actions applied, by kind and outcome.'),
  );
  readonly coreRejections = this.add(
    new Counter('nixfleet_cp_core_rejections_total', 'Reducer rejections by code.'),
  );
  readonly hostTransitions = this.add(
    new Counter('nixfleet_cp_host_transitions_total', 'Host state transitions by target state.'),
  );
  readonly artifactFailures = this.add(
    new Counter(
      'nixfleet_cp_artifact_verify_failures_total',
      'Artifact verification failures by artifact and code.',
    ),
  );
  readonly artifactVerifiedAt = this.add(
    new Gauge(
      'nixfleet_cp_artifact_last_verified_timestamp_seconds',
      'Last successful verification by artifact.',
    ),
  );
  readonly artifactAlert = this.add(
    new Gauge(
      'nixfleet_cp_artifact_alert',
      '1 while the latest verification of an artifact failed.',
    ),
  );
  readonly dispatchWaiters = this.add(
    new Gauge('nixfleet_cp_dispatch_waiters', 'Open dispatch long-polls.'),
  );
  readonly replicaLeader = this.add(
    new Gauge(
      'nixfleet_cp_replica_leader',
      'PostgreSQL replicas: 1 while this replica leads and serves, 0 while it follows.',
    ),
  );
  readonly forwarded = this.add(
    new Counter(
      'nixfleet_cp_forwarded_total',
      'PostgreSQL followers: requests relayed to the leader, by route and outcome (relayed, no-leader, unreachable, timeout, leader-moved).',
    ),
  );
  readonly orphanConfirms = this.add(
    new Counter(
      'nixfleet_cp_orphan_confirms_total',
      'Activations the CP confirmed from a heartbeat because the agent could not replay them.',
    ),
  );
  readonly dispatchRate = this.add(
    new Gauge(
      'nixfleet_cp_dispatch_rate',
      'Dispatches per second the pacer allows now (adapted to the acknowledgement latency).',
    ),
  );
  readonly dispatchesHeld = this.add(
    new Gauge(
      'nixfleet_cp_dispatches_held',
      'Planned dispatches the pacer held back at the last automatic tick.',
    ),
  );
  readonly queueDepth = this.add(
    new Gauge('nixfleet_cp_mutator_queue_depth', 'Commands waiting for the mutator.'),
  );
  readonly certsIssued = this.add(
    new Counter('nixfleet_cp_certs_issued_total', 'Client certificates issued, by route.'),
  );
  readonly enrollRefused = this.add(
    new Counter('nixfleet_cp_enroll_refused_total', 'Enrollments refused, by code.'),
  );
  readonly connectionsClosed = this.add(
    new Counter(
      'nixfleet_cp_connections_closed_total',
      'Connections the edge closed by a limit, by reason (timeouts, caps).',
    ),
  );
  readonly streamsRefused = this.add(
    new Counter(
      'nixfleet_cp_streams_refused_total',
      'Requests the edge cut by a limit, by reason (stream cap, body timeouts).',
    ),
  );
  readonly authRefused = this.add(
    new Counter('nixfleet_cp_auth_refused_total', 'Requests refused for identity, by code.'),
  );
  readonly edgeRestarts = this.add(
    new Counter(
      'nixfleet_cp_edge_restarts_total',
      'Edge threads (TLS + HTTP/2) restarted after dying, by reason.',
    ),
  );
  readonly loopDelay = this.add(
    new Gauge(
      'nixfleet_cp_event_loop_delay_window_seconds',
      'Event-loop delay of a CP thread over the last 10 s window, by thread (main, edge) and stat (p50, p99, max).',
    ),
  );
  readonly loopStalls = this.add(
    new Histogram(
      'nixfleet_cp_event_loop_stall_seconds',
      'Times a CP thread was blocked for 100 ms or more, and for how long, by thread.',
      [0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  );
  readonly metricsFromCore = this.add(
    new Counter('nixfleet_cp_core_metric_total', 'Metrics emitted by core effects, by name.'),
  );

  private add<T extends Family>(f: T): T {
    this.families.push(f);
    return f;
  }

  /** Registers a counter or gauge read at scrape time. */
  collect(name: string, type: 'counter' | 'gauge', help: string, collect: () => Collected): void {
    this.add(new CollectedFamily(name, type, help, collect));
  }

  /** Registers a histogram fed from outside the CP (the process-wide gc pauses). */
  register(h: Histogram): void {
    this.add(h);
  }

  /** The Prometheus text exposition. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
    }
    return lines.join('\n') + '\n';
  }
}
