// `nixfleet trust stage|promote|retire <slot>`: a key rotation through the
// trust.json slots (ts/trust/trust-config.ts decides what each slot means):
// stage announces the new key as `successor` (it verifies from then on),
// promote makes it `current` and keeps the old one as `previous` until
// `retireAt`, retire drops `previous` once that has passed. Each step edits
// trust.json in place (other fields untouched), checked by the same parser
// the CP and the agents run before it is written.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  encodeBase64,
  formatTimestamp,
  parsePrivateKey,
  parseTimestamp,
  parseTrustConfigBytes,
} from '../../trust/index.ts';
import { absolutePath } from '../config/config-file.ts';
import { TRUST_PROMOTE, TRUST_RETIRE, TRUST_STAGE } from '../flags/keys.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { CliError } from '../errors.ts';
import { writeJsonFile } from '../fleet/json-list.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';

/** Slot names on the command line → trust.json keys. */
const SLOTS: Readonly<Record<string, 'orgRootKey' | 'ciReleaseKey'>> = {
  'org-root': 'orgRootKey',
  'ci-release': 'ciReleaseKey',
};

type Step = 'stage' | 'promote' | 'retire';

/** Options of {@link trustCommand}. */
export interface TrustOptions {
  readonly trust?: string;
  readonly key?: string;
  readonly grace?: string;
}

interface KeyJson {
  readonly algorithm: string;
  readonly public: string;
}

interface SlotJson {
  current: KeyJson | null;
  previous: KeyJson | null;
  successor: KeyJson | null;
  retireAt: string | null;
  rejectBefore: string | null;
  [extra: string]: unknown;
}

const usage = (message: string, hint?: string): CliError =>
  new CliError('CLI_ERR_USAGE', message, hint === undefined ? {} : { hint });

function readTrust(path: string): Record<string, unknown> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError('CLI_ERR_CONFIG_IO', `--trust ${path}: ${(e as Error).message}`, {
      context: { path },
    });
  }
  const parsed = parseTrustConfigBytes(bytes);
  if (!parsed.ok) throw usage(`--trust ${path}: ${parsed.error.message}`);
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
}

/** One rotation step on `slot` of a trust.json document, at `now`; pure. */
export function rotateSlot(
  doc: Record<string, unknown>,
  slotKey: 'orgRootKey' | 'ciReleaseKey',
  step: Step,
  args: { readonly now: number; readonly key?: KeyJson; readonly graceMs?: number },
): Record<string, unknown> {
  const raw = doc[slotKey] as SlotJson | null | undefined;
  if (raw === null || raw === undefined) {
    throw usage(`trust.json declares no ${slotKey}`, 'add the slot with its current key first');
  }
  const slot: SlotJson = { ...raw };
  const same = (a: KeyJson | null, b: KeyJson | null | undefined): boolean =>
    a !== null && b != null && a.algorithm === b.algorithm && a.public === b.public;
  if (step === 'stage') {
    const key = args.key as KeyJson;
    if (same(slot.current, key)) throw usage(`that key is already ${slotKey}.current`);
    if (slot.successor !== null && !same(slot.successor, key)) {
      throw usage(
        `${slotKey}.successor already announces another key`,
        'promote it first, or remove it from trust.json if that rotation is abandoned',
      );
    }
    slot.successor = key;
  } else if (step === 'promote') {
    if (slot.successor === null) {
      throw usage(`${slotKey} has no successor to promote`, `run \`nixfleet trust stage\` first`);
    }
    const retire = slot.retireAt === null ? null : parseTimestamp(slot.retireAt);
    if (slot.previous !== null && (retire === null || args.now < retire)) {
      throw usage(
        `${slotKey}.previous is still active${slot.retireAt === null ? '' : ` until ${slot.retireAt}`}: promoting would drop it`,
        'retire it first (`nixfleet trust retire`, after its retireAt)',
      );
    }
    slot.previous = slot.current;
    slot.current = slot.successor;
    slot.successor = null;
    slot.retireAt = formatTimestamp(args.now + (args.graceMs as number));
  } else {
    if (slot.previous === null) throw usage(`${slotKey} has no previous key to retire`);
    const retire = slot.retireAt === null ? null : parseTimestamp(slot.retireAt);
    if (retire !== null && args.now < retire) {
      throw usage(
        `${slotKey}.previous is trusted until ${slot.retireAt}; retiring now would cut the overlap short`,
        'wait until then, or edit retireAt in trust.json if the old key is compromised',
      );
    }
    slot.previous = null;
    slot.retireAt = null;
  }
  return { ...doc, [slotKey]: slot };
}

/**
 * Runs one rotation step on trust.json and writes it back.
 *
 * @example trustCommand(ctx, 'stage', 'org-root', { key: 'keys/org-root-2.key' })
 */
export function trustCommand(
  ctx: OperatorCtx,
  step: Step,
  slotName: string,
  o: TrustOptions,
): ExitCode {
  try {
    const slotKey = SLOTS[slotName];
    if (slotKey === undefined) {
      throw usage(
        `${JSON.stringify(slotName)} is not a key slot`,
        `one of ${Object.keys(SLOTS).join(', ')}`,
      );
    }
    const home = ctx.env['HOME'];
    const path = absolutePath(o.trust ?? 'trust.json', ctx.cwd, home);
    const now = Math.floor(ctx.io.now().getTime() / 1000) * 1000;
    let key: KeyJson | undefined;
    if (step === 'stage') {
      if (o.key === undefined) throw usage('--key <file> is required: the new private key');
      const keyPath = absolutePath(o.key, ctx.cwd, home);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(keyPath));
      } catch (e) {
        throw new CliError('CLI_ERR_KEY', `--key ${keyPath}: ${(e as Error).message}`);
      }
      const parsed = parsePrivateKey(bytes);
      if (!parsed.ok)
        throw new CliError('CLI_ERR_KEY', `--key ${keyPath}: ${parsed.error.message}`);
      const pub = parsed.value.publicKey;
      if (slotKey === 'orgRootKey' && pub.algorithm !== 'ed25519') {
        throw new CliError('CLI_ERR_KEY', `--key ${keyPath}: the org root key must be ed25519`);
      }
      key = { algorithm: pub.algorithm, public: encodeBase64(pub.raw) };
    }
    const graceMs =
      step === 'promote' ? durationFlag(flagOf(TRUST_PROMOTE, 'grace'), o.grace) : undefined;
    const next = rotateSlot(readTrust(path), slotKey, step, {
      now,
      ...(key === undefined ? {} : { key }),
      ...(graceMs === undefined ? {} : { graceMs }),
    });
    const text = `${JSON.stringify(next, null, 2)}\n`;
    const check = parseTrustConfigBytes(new Uint8Array(Buffer.from(text)));
    if (!check.ok)
      throw new Error(`trust ${step} built an invalid trust.json: ${check.error.message}`);
    writeJsonFile(path, next);
    const s = next[slotKey] as SlotJson;
    ctx.io.stderr(
      `${path}: ${slotKey} current ${s.current?.public ?? 'none'}, successor ${s.successor?.public ?? 'none'}, previous ${s.previous?.public ?? 'none'}${s.retireAt === null ? '' : ` until ${s.retireAt}`}. Give the new trust.json to the CP and the agents (restart them), and commit it.`,
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, `trust ${step}`, e);
  }
}

/**
 * Adds `trust stage|promote|retire`.
 *
 * @example registerTrust(program, ctx)
 */
export function registerTrust(program: Command, ctx: OperatorCtx): void {
  const trust = program
    .command('trust')
    .description('rotate a trust.json key slot: stage, promote, retire');
  addFlags(
    trust
      .command('stage <slot>')
      .description(
        'announce a new key as <slot>.successor (org-root | ci-release); it verifies from now on',
      ),
    TRUST_STAGE,
  ).action((slot: string, o: TrustOptions) => ctx.setExit(trustCommand(ctx, 'stage', slot, o)));
  addFlags(
    trust
      .command('promote <slot>')
      .description(
        'successor becomes current; the old current stays trusted as previous for --grace',
      ),
    TRUST_PROMOTE,
  ).action((slot: string, o: TrustOptions) => ctx.setExit(trustCommand(ctx, 'promote', slot, o)));
  addFlags(
    trust.command('retire <slot>').description('drop <slot>.previous once its retireAt has passed'),
    TRUST_RETIRE,
  ).action((slot: string, o: TrustOptions) => ctx.setExit(trustCommand(ctx, 'retire', slot, o)));
}
