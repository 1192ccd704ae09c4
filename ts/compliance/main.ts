// Entry point of nixfleet-compliance-collect (docs/compliance.md, Collector):
//   nixfleet-compliance-collect [-V|--version] [-h|--help]
//   nixfleet-compliance-collect --controls FILE [--host-key FILE] [--hostname NAME]
//     [--out FILE] [--timeout-secs DURATION] [--current-system LINK]   (flags.ts)
// Exit 0 when the evidence file was written (whatever the verdicts: failing
// controls are evidence too), 2 on a typed error (nothing written).
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { basename } from 'node:path';
import { formatVersion, versionInfo, wantsVersion } from '../version/version.ts';
import { collect, CollectorError } from './collect.ts';
import { helpText, parseCollectorArgs } from './flags.ts';

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
  const parsed = parseCollectorArgs(process.argv.slice(2));
  if (!parsed.ok && parsed.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`nixfleet-compliance-collect: COMPLIANCE_ERR_ARGS: ${parsed.message}\n`);
    return 2;
  }
  const { args } = parsed;
  try {
    const verdicts = await collect({
      controlsFile: args.controls,
      hostKeyFile: args.hostKey,
      hostname: args.hostname ?? read('/proc/sys/kernel/hostname', osHostname()),
      out: args.out,
      timeoutMs: args.timeoutMs,
      now: () => Date.now(),
      generationHash: generation(args.currentSystem),
      bootId: read('/proc/sys/kernel/random/boot_id', 'unknown'),
    });
    const failing = [...verdicts].filter(([, v]) => v.status !== 'Pass');
    for (const [id, v] of failing) process.stdout.write(`FAIL ${id}: ${v.failure ?? ''}\n`);
    process.stdout.write(
      `${verdicts.size - failing.length} passed, ${failing.length} failed; evidence written to ${args.out}\n`,
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
