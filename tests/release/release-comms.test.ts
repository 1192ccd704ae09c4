// The comms example (examples/comms/): the real `nixfleet release` releases
// it builtins-only, with real nix-build toplevels — every host's closure
// renders the probes the fleet declares for it (the release refuses one that
// does not), and the signed rollout manifest carries the canary tiers, the
// budget's hosts and each host's probes, the homeserver's with its JSON key.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../cli/support/run.ts';
import { flags, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

const EXAMPLE = join(import.meta.dirname, '../../examples/comms/fleet.nix');

type Manifest = {
  hostSet: {
    hostname: string;
    waveIndex: number;
    probes: Record<string, Record<string, unknown>>;
  }[];
};

describe('examples/comms: the comms fleet releases', () => {
  it('signs a rollout: infra, then the canary agent, three, twelve; every host with its probes', async () => {
    const dir = join(tmp, 'comms-releases');
    const f = flags({ releaseDir: dir });
    const r = await runProcess(
      [
        'release',
        '--fleet-file',
        EXAMPLE,
        '--sign-cmd',
        f.signCmd!,
        '--release-dir',
        dir,
        '--ci-commit',
        f.ciCommit!,
        '--trust-file',
        f.trustFile!,
        '--now',
        f.now!,
      ],
      { env: process.env, timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(dir, 'rollouts')).filter((n) => n.endsWith('.json'));
    expect(files).toHaveLength(1);
    const m = JSON.parse(readFileSync(join(dir, 'rollouts', files[0]!), 'utf8')) as Manifest;
    const wave = (i: number) =>
      m.hostSet
        .filter((h) => h.waveIndex === i)
        .map((h) => h.hostname)
        .sort();
    expect(wave(0)).toEqual(['matrix-01', 'nats-01']);
    expect(wave(1)).toEqual(['agent-01']);
    expect(wave(2)).toEqual(['agent-02', 'agent-03', 'agent-04']);
    expect(wave(3)).toHaveLength(12);
    const probes = (h: string) => m.hostSet.find((x) => x.hostname === h)!.probes;
    expect(probes('matrix-01')['matrix-client-api']).toMatchObject({
      url: 'http://127.0.0.1:6167/_matrix/client/versions',
      jsonKey: 'versions',
      mode: 'enforce',
    });
    expect(probes('nats-01')['nats-jetstream']).toMatchObject({
      url: 'http://127.0.0.1:8222/healthz?js-enabled-only=true',
    });
    expect(probes('agent-07')['heartbeat-on-broker']).toMatchObject({
      url: 'http://127.0.0.1:9464/heartbeat',
      jsonKey: 'confirmedAt',
    });
  }, 320_000);
});
