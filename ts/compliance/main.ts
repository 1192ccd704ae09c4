// Entry point of nixfleet-compliance-collect (docs/compliance.md, Collector):
//   nixfleet-compliance-collect [-V|--version]
//   nixfleet-compliance-collect --controls FILE [--host-key FILE] [--hostname NAME]
//     [--out FILE] [--timeout-secs N] [--current-system LINK]
// Exit 0 when the evidence file was written (whatever the verdicts: failing
// controls are evidence too), 2 on a typed error (nothing written).
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { formatVersion, versionInfo, wantsVersion } from '../version/version.ts';
import { collect, CollectorError } from './collect.ts';

function read(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

function generation(link: string): string | null {
  try {
    return basename(readlinkSync(link));
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  if (wantsVersion(process.argv.slice(2))) {
    process.stdout.write(
      `${formatVersion('nixfleet-compliance-collect', versionInfo(process.env))}\n`,
    );
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        controls: { type: 'string' },
        'host-key': { type: 'string', default: '/etc/ssh/ssh_host_ed25519_key' },
        hostname: { type: 'string' },
        out: { type: 'string', default: '/var/lib/nixfleet-compliance/evidence.json' },
        'timeout-secs': { type: 'string', default: '60' },
        // The link naming the running closure; a sandboxed host keeps it elsewhere.
        'current-system': { type: 'string', default: '/run/current-system' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(
      `nixfleet-compliance-collect: COMPLIANCE_ERR_ARGS: ${(e as Error).message}\n`,
    );
    return 2;
  }
  const timeout = Number(values['timeout-secs']);
  if (!values.controls || !Number.isInteger(timeout) || timeout <= 0) {
    process.stderr.write(
      'nixfleet-compliance-collect: COMPLIANCE_ERR_ARGS: --controls FILE is required and --timeout-secs must be a positive integer\n',
    );
    return 2;
  }
  try {
    const verdicts = await collect({
      controlsFile: values.controls,
      hostKeyFile: values['host-key'],
      hostname: values.hostname ?? read('/proc/sys/kernel/hostname', osHostname()),
      out: values.out,
      timeoutMs: timeout * 1000,
      now: () => Date.now(),
      generationHash: generation(values['current-system']),
      bootId: read('/proc/sys/kernel/random/boot_id', 'unknown'),
    });
    const failing = [...verdicts].filter(([, v]) => v.status !== 'Pass');
    for (const [id, v] of failing) process.stdout.write(`FAIL ${id}: ${v.failure ?? ''}\n`);
    process.stdout.write(
      `${verdicts.size - failing.length} passed, ${failing.length} failed; evidence written to ${values.out}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof CollectorError) {
      process.stderr.write(`nixfleet-compliance-collect: ${e.code}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main();
