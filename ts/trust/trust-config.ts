// trust.json → a frozen, decoded TrustConfig, and the time-aware question every
// verifier asks of it: which keys of a slot are active at `now`?
//
// Key-slot semantics (CONTRACTS.md "trust.json", book RFC-0010 §7.1), decided
// precisely here:
//   - `current` is always active.
//   - `successor` is active from the moment it appears in trust.json (that
//     commit *is* the announcement), before and after `retireAt`: once the
//     overlap ends it is the key CI signs with, so refusing it would stall
//     the fleet until the operator's rotation commit lands.
//   - `previous` is active while `retireAt` is null or `now < retireAt`;
//     `retireAt` is the end of the rotation overlap. A null `retireAt` keeps
//     `previous` until the operator removes it.
//   - `rejectBefore` does not remove keys: it refuses any artifact whose
//     signing time is earlier, whichever key signed it (the verifiers apply it).
//   - When `retireAt` has passed and a `successor` is still declared, the
//     rotation is due ({@link rotationDue}): the operator moves
//     current → previous, successor → current, and sets a new `retireAt` for
//     the previous key's grace period.
import type { TrustJson } from '../contracts/index.ts';
import { parseJsonBytes } from './canonical.ts';
import { trustConfigError, type SchemaIssue, type TrustConfigError } from './errors.ts';
import { publicKeyFromBase64, type PublicKey } from './keys.ts';
import { err, ok, type Result } from './result.ts';
import { checkContract } from './schema.ts';
import { parseTimestamp } from './time.ts';

/** The only trust.json schemaVersion this implementation reads. */
export const TRUST_SCHEMA_VERSION = 1;

/** Role of a key within its slot. */
export type KeyRole = 'current' | 'previous' | 'successor';

/** A decoded key slot; timestamps as epoch milliseconds plus their text. */
export interface TrustSlot {
  /** `ciReleaseKey` or `orgRootKey`, for messages. */
  readonly name: string;
  readonly current: PublicKey | null;
  readonly previous: PublicKey | null;
  readonly successor: PublicKey | null;
  readonly rejectBefore: { readonly at: number; readonly text: string } | null;
  readonly retireAt: { readonly at: number; readonly text: string } | null;
}

/** trust.json, validated and decoded once (STYLE.md rule 6). */
export interface TrustConfig {
  readonly schemaVersion: typeof TRUST_SCHEMA_VERSION;
  readonly ciReleaseKey: TrustSlot;
  readonly orgRootKey: TrustSlot | null;
  /** Opaque `name:base64` strings forwarded to Nix; never parsed here. */
  readonly cacheKeys: readonly string[];
}

/** A key that may verify at a given instant, with its role. */
export interface ActiveKey {
  readonly role: KeyRole;
  readonly key: PublicKey;
}

function decodeSlot(
  name: string,
  slot: TrustJson['ciReleaseKey'],
  issues: SchemaIssue[],
): TrustSlot {
  const key = (role: KeyRole): PublicKey | null => {
    const declared = slot[role];
    if (declared === null) return null;
    const parsed = publicKeyFromBase64(declared.algorithm, declared.public);
    if (parsed.ok) return parsed.value;
    issues.push({ path: `${name}.${role}.public`, message: parsed.error.message });
    return null;
  };
  const time = (field: 'rejectBefore' | 'retireAt'): TrustSlot['retireAt'] => {
    const text = slot[field];
    if (text === null) return null;
    const at = parseTimestamp(text);
    if (at === null) {
      issues.push({ path: `${name}.${field}`, message: `not an RFC 3339 UTC timestamp: ${text}` });
      return null;
    }
    return Object.freeze({ at, text });
  };
  return Object.freeze({
    name,
    current: key('current'),
    previous: key('previous'),
    successor: key('successor'),
    rejectBefore: time('rejectBefore'),
    retireAt: time('retireAt'),
  });
}

/**
 * Validates a parsed trust.json against the `trust-json` contract and decodes
 * every key (strict base64, exact lengths, P-256 points on the curve).
 *
 * @example
 *   const trust = parseTrustConfig(JSON.parse(readFileSync('/etc/nixfleet/cp/trust.json', 'utf8')));
 *   if (!trust.ok) exit(2, trust.error.message);
 */
export function parseTrustConfig(value: unknown): Result<TrustConfig, TrustConfigError> {
  const version =
    value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)['schemaVersion']
      : undefined;
  if (version !== TRUST_SCHEMA_VERSION) {
    return err(
      trustConfigError(
        'UnsupportedTrustSchemaVersion',
        `trust.json schemaVersion ${JSON.stringify(version) ?? 'absent'} is not supported (expected ${TRUST_SCHEMA_VERSION})`,
      ),
    );
  }
  const checked = checkContract('trust-json', value);
  if (!checked.ok) {
    return err(
      trustConfigError('InvalidTrustConfig', 'trust.json does not match the trust-json contract', {
        issues: checked.issues,
      }),
    );
  }
  const trust = checked.value;
  const issues: SchemaIssue[] = [];
  const config: TrustConfig = Object.freeze({
    schemaVersion: TRUST_SCHEMA_VERSION,
    ciReleaseKey: decodeSlot('ciReleaseKey', trust.ciReleaseKey, issues),
    orgRootKey:
      trust.orgRootKey === null ? null : decodeSlot('orgRootKey', trust.orgRootKey, issues),
    cacheKeys: Object.freeze([...trust.cacheKeys]),
  });
  if (issues.length > 0) {
    const first = issues[0] as SchemaIssue;
    return err(
      trustConfigError('InvalidTrustConfig', `${first.path}: ${first.message}`, { issues }),
    );
  }
  return ok(config);
}

/**
 * Parses trust.json file contents (strict UTF-8 JSON) into a TrustConfig.
 *
 * @example
 *   parseTrustConfigBytes(readFileSync(path))
 */
export function parseTrustConfigBytes(bytes: Uint8Array): Result<TrustConfig, TrustConfigError> {
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok)
    return err(trustConfigError('InvalidTrustConfig', `trust.json: ${parsed.error.message}`));
  return parseTrustConfig(parsed.value.value);
}

/**
 * Keys of a slot that may verify at `now` (module header for the rules).
 * Order: current, successor, previous — the likeliest signer first.
 *
 * @example
 *   activeKeysAt(trust.ciReleaseKey, now).map((k) => k.role) // ['current', 'previous']
 */
export function activeKeysAt(slot: TrustSlot, now: Date): readonly ActiveKey[] {
  const out: ActiveKey[] = [];
  if (slot.current) out.push({ role: 'current', key: slot.current });
  if (slot.successor) out.push({ role: 'successor', key: slot.successor });
  if (slot.previous && (slot.retireAt === null || now.getTime() < slot.retireAt.at)) {
    out.push({ role: 'previous', key: slot.previous });
  }
  return out;
}

/**
 * True when the slot's announced rotation is due: a successor is declared and
 * `retireAt` has passed (the input of the reconciler's RotateTrustRoot action).
 *
 * @example
 *   if (rotationDue(trust.ciReleaseKey, now)) log.warn({ slot: 'ciReleaseKey' }, 'rotate trust root');
 */
export function rotationDue(slot: TrustSlot, now: Date): boolean {
  return slot.successor !== null && slot.retireAt !== null && now.getTime() >= slot.retireAt.at;
}
