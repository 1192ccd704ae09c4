// The push hooks of a release, run concurrently with a bound: every closure is
// pushed (no hook is abandoned half-way by a sibling's failure), then one
// RELEASE_ERR_PUSH_HOOK names every host whose hook failed.
import { boundedAll } from './build.ts';
import { ReleaseError } from './errors.ts';
import { pushClosure } from './hooks.ts';
import type { ReleaseProgress } from './progress.ts';

/** Concurrent push hooks when --jobs is not given. */
export const DEFAULT_PUSH_JOBS = 4;

/** Runs --push-cmd once per host's closure, at most `jobs` at a time. */
export async function pushAll(
  command: string,
  hosts: readonly string[],
  paths: Readonly<Record<string, string>>,
  jobs: number | null,
  progress: (p: ReleaseProgress) => void,
): Promise<void> {
  let done = 0;
  const results = await boundedAll(hosts, jobs ?? DEFAULT_PUSH_JOBS, async (host) => {
    await pushClosure(command, host, paths[host]!);
    done += 1;
    progress({ step: 'pushed', host, detail: null, done, total: hosts.length });
  });
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ host: hosts[i]!, reason: r.reason as unknown }] : [],
  );
  if (failed.length === 0) return;
  const unexpected = failed.find((f) => !(f.reason instanceof ReleaseError));
  if (unexpected) throw unexpected.reason;
  if (failed.length === 1) throw failed[0]!.reason;
  throw new ReleaseError(
    'RELEASE_ERR_PUSH_HOOK',
    `--push-cmd failed for ${failed.length} hosts (${failed.map((f) => f.host).join(', ')}):\n` +
      failed.map((f) => (f.reason as ReleaseError).message).join('\n'),
    { context: { hosts: failed.map((f) => f.host) } },
  );
}
