// The rollout id check shared by every command that names a rollout (kept
// apart so the rollout actions and the rollout views do not import each other).
import { CliError } from '../errors.ts';

const ROLLOUT_ID = /^[a-z0-9_-]+@[0-9a-f]+$/;

/** Refuses a malformed rollout id before asking the CP. */
export function checkRolloutId(id: string): string {
  if (!ROLLOUT_ID.test(id)) {
    throw new CliError('CLI_ERR_USAGE', `${JSON.stringify(id)} is not a rollout id`, {
      hint: 'rollout ids look like <channel>@<channelRef>, e.g. stable@3f2a9c1d (`nixfleet rollout list`)',
    });
  }
  return id;
}
