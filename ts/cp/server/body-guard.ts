// Request-body bounds of the edge thread, applied before and after parsing:
// the per-contract body limit (each route's body is no larger than its
// contract needs), the JSON nesting bound checked by a byte scan *before*
// JSON.parse (a 5,000-deep body costs the scan, not a parse, a validation
// and a structured clone of a tower of arrays), and the projection of a
// stored body onto the properties its contract declares (an open contract
// accepts unknown fields; the CP must not store them). Must never read
// beyond the buffer it is given or throw on any input.
import type http2 from 'node:http2';
import type { ContractName } from '../../contracts/index.ts';
import { SCHEMAS } from '../../contracts/generated/schemas.ts';
import { takeBudget, type BudgetState } from '../../core/budget.ts';
import { CpError } from '../errors.ts';
import type { EdgeLimits } from './edge-protocol.ts';

/**
 * The largest body each contract needs, in bytes (the global
 * `--body-limit` still applies when smaller). An agent event with signed
 * evidence is the largest wire body (a probe payload of a few kB); the rest
 * are one CSR, one token or a handful of fields.
 */
export const CONTRACT_BODY_LIMITS: ReadonlyMap<ContractName, number> = new Map<
  ContractName,
  number
>([
  ['agent-event', 64 * 1024],
  ['heartbeat', 64 * 1024],
  ['enroll-request', 16 * 1024],
  ['renew-request', 16 * 1024],
  ['bootstrap-report', 8 * 1024],
]);

/** Contracts whose bodies are stored: unknown properties are dropped before they reach a handler. */
export const STORED_CONTRACTS: ReadonlySet<ContractName> = new Set<ContractName>([
  'agent-event',
  'bootstrap-report',
]);

/** The body limit of a route with `contract` under the global limit. */
export function bodyLimitFor(contract: ContractName | undefined, global: number): number {
  const own = contract === undefined ? undefined : CONTRACT_BODY_LIMITS.get(contract);
  return own === undefined ? global : Math.min(own, global);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of the JSON text in `buf`, scanning bytes (strings
 * skipped, escapes honoured), stopping as soon as it exceeds `max`: returns
 * `max + 1` then. Malformed text gets some number; JSON.parse refuses it
 * afterwards.
 *
 * @example jsonDepth(Buffer.from('[[1],{"a":[]}]'), 64) // 2
 */
export function jsonDepth(buf: Uint8Array, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

type Schema = Readonly<Record<string, unknown>>;

function resolve(node: Schema, defs: Schema): Schema {
  const ref = node['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const name = ref.slice('#/$defs/'.length);
    const target = Object.hasOwn(defs, name) ? defs[name] : undefined;
    return (target ?? {}) as Schema;
  }
  return node;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v;
}

/** The branch of an anyOf the (already valid) value took: same JSON type, same `kind`. */
function branchFor(branches: readonly Schema[], value: unknown, defs: Schema): Schema | null {
  const t = typeOf(value);
  for (const raw of branches) {
    const b = resolve(raw, defs);
    const bt = b['type'];
    if (bt !== undefined && bt !== t && !(bt === 'integer' && t === 'number')) continue;
    const kindEnum = (b['properties'] as Schema | undefined)?.['kind'] as Schema | undefined;
    const allowed = kindEnum?.['enum'];
    if (Array.isArray(allowed) && t === 'object') {
      if (!allowed.includes((value as Record<string, unknown>)['kind'])) continue;
    }
    return b;
  }
  return null;
}

function project(node: Schema, value: unknown, defs: Schema): unknown {
  const s = resolve(node, defs);
  const anyOf = s['anyOf'];
  if (Array.isArray(anyOf)) {
    const b = branchFor(anyOf as Schema[], value, defs);
    return b === null ? value : project(b, value, defs);
  }
  if (Array.isArray(value)) {
    const items = s['items'];
    return items !== undefined && typeof items === 'object'
      ? value.map((v) => project(items as Schema, v, defs))
      : value;
  }
  const props = s['properties'];
  if (value !== null && typeof value === 'object' && props !== undefined) {
    const p = props as Schema;
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(p)) {
      if (Object.hasOwn(src, k)) out[k] = project(p[k] as Schema, src[k], defs);
    }
    return out;
  }
  // A free-form value (a signed probe payload): kept byte for byte, the
  // signature covers it; the body limit bounds it.
  return value;
}

/**
 * `value` (valid against `contract`) without the properties the contract
 * does not declare, at every level that declares its properties.
 *
 * @example dropUnknown('bootstrap-report', { token, event, occurredAt, junk: 'x' }) // no junk
 */
export function dropUnknown(contract: ContractName, value: unknown): unknown {
  const schema = SCHEMAS[contract] as Schema;
  const defs = (schema['$defs'] ?? {}) as Schema;
  return project(schema, value, defs);
}

/** Bounds of one body read. */
export interface BodyBounds {
  readonly limit: number;
  /** Longest pause between chunks (ms). */
  readonly idleMs: number;
  /** Longest the whole body may take (ms). */
  readonly totalMs: number;
  /** Called once when a timeout cuts the body (reason `body-idle-timeout` / `body-timeout`). */
  readonly onTimeout: (reason: string) => void;
}

/**
 * Reads a request body within `bounds`: refused with 413 past the limit
 * (before reading when Content-Length says so), with 408 when it stalls or
 * drags (a 1-byte-per-second body holds a stream for seconds, not forever).
 */
export function readBody(
  stream: http2.ServerHttp2Stream,
  declared: number,
  bounds: BodyBounds,
): Promise<Buffer> {
  const { limit } = bounds;
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new CpError('CP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`, { limit }),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let idle: NodeJS.Timeout | null = null;
    const stop = (): void => {
      done = true;
      clearTimeout(total);
      if (idle !== null) clearTimeout(idle);
    };
    const fail = (e: unknown): void => {
      if (done) return;
      stop();
      reject(e);
    };
    const timedOut = (reason: string, ms: number): void => {
      if (done) return;
      bounds.onTimeout(reason);
      fail(
        new CpError(
          'CP_ERR_REQUEST_TIMEOUT',
          reason === 'body-idle-timeout'
            ? `request body stalled for ${ms} ms`
            : `request body not complete within ${ms} ms`,
          { reason, ms },
        ),
      );
    };
    const total = setTimeout(() => timedOut('body-timeout', bounds.totalMs), bounds.totalMs);
    const armIdle = (): void => {
      if (idle !== null) clearTimeout(idle);
      idle = setTimeout(() => timedOut('body-idle-timeout', bounds.idleMs), bounds.idleMs);
    };
    armIdle();
    stream.on('data', (c: Buffer) => {
      if (done) return;
      armIdle();
      size += c.length;
      if (size > limit) {
        fail(new CpError('CP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`, { limit }));
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => {
      if (done) return;
      stop();
      resolve(Buffer.concat(chunks, size));
    });
    stream.on('error', fail);
    stream.on('aborted', () => fail(new Error('client aborted')));
    stream.on('close', () => fail(new Error('stream closed')));
  });
}

/** Parses a body, refusing nesting deeper than `maxDepth` before JSON.parse sees it. */
export function parseJson(buf: Buffer, maxDepth: number): unknown {
  const depth = jsonDepth(buf, maxDepth);
  if (depth > maxDepth) {
    throw new CpError('CP_ERR_JSON_TOO_DEEP', `body nests deeper than ${maxDepth} levels`, {
      maxDepth,
    });
  }
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new CpError(
      'CP_ERR_MALFORMED_JSON',
      'body is not valid JSON',
      { detail: (e as Error).message.slice(0, 200) },
      { cause: e },
    );
  }
}

/**
 * The per-host event budgets (count and bytes, core/budget.ts): the
 * returned function takes one event of `bytes` from host `cn`'s budgets or
 * throws a typed 429 with the seconds to wait (agents retry it like a 5xx).
 * A refused event costs nothing.
 */
export function eventBudgets(
  limits: Pick<EdgeLimits, 'eventRate' | 'eventBytes'>,
  now: () => number = Date.now,
): (cn: string, bytes: number) => void {
  const budgets = new Map<string, { n: BudgetState; bytes: BudgetState }>();
  return (cn, bytes) => {
    const at = now();
    const cur = budgets.get(cn);
    const n = takeBudget(cur?.n, limits.eventRate, 1, at);
    const b = takeBudget(cur?.bytes, limits.eventBytes, bytes, at);
    if (n.ok && b.ok) {
      budgets.set(cn, { n: n.state, bytes: b.state });
      return;
    }
    const waitMs = Math.max(n.ok ? 0 : n.retryAfterMs, b.ok ? 0 : b.retryAfterMs);
    throw new CpError('CP_ERR_RATE_LIMITED', `event budget of ${cn} exhausted`, {
      budget: n.ok ? 'bytes' : 'events',
      retryAfterSecs: Number.isFinite(waitMs) ? Math.max(1, Math.ceil(waitMs / 1000)) : 60,
    });
  };
}
