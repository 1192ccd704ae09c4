// Route matching and the protocol header for the edge: the parts of the
// request pipeline that need neither the connection nor fleet state.
import type http2 from 'node:http2';
import { CpError } from '../errors.ts';
import type { RouteMeta } from './edge-protocol.ts';

/** The protocol major this CP speaks. */
export const PROTOCOL_MAJOR = 1;

/** A route with its path split for matching. */
export interface CompiledRoute {
  readonly index: number;
  readonly route: RouteMeta;
  readonly segments: readonly string[];
  readonly name: string;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
export const BAD_PATH = /(^|\/)\.\.?(\/|$)|\/\/|\\|%|[\u0000-\u001f\u007f]/;

/** The routes in match order. */
export function compile(routes: readonly RouteMeta[]): CompiledRoute[] {
  return routes.map((route, index) => ({
    index,
    route,
    segments: route.path.split('/').filter((s) => s !== ''),
    name: `${route.method} ${route.path}`,
  }));
}

/** Every route whose path matches, with its parameters. */
export function match(
  table: readonly CompiledRoute[],
  path: string,
): { routes: CompiledRoute[]; params: Record<string, string>[] } {
  const parts = path.split('/').filter((s) => s !== '');
  const routes: CompiledRoute[] = [];
  const params: Record<string, string>[] = [];
  for (const c of table) {
    if (c.segments.length !== parts.length) continue;
    const p: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i] as string;
      const part = parts[i] as string;
      if (seg.startsWith(':')) p[seg.slice(1)] = part;
      else if (seg !== part) {
        ok = false;
        break;
      }
    }
    if (ok) {
      routes.push(c);
      params.push(p);
    }
  }
  return { routes, params };
}

/** Refuses a missing or unsupported X-Nixfleet-Protocol header. */
export function checkProtocol(headers: http2.IncomingHttpHeaders): void {
  const v = headers['x-nixfleet-protocol'];
  if (v === undefined || v === '') {
    throw new CpError('CP_ERR_PROTOCOL_MISSING', 'X-Nixfleet-Protocol header is required', {
      expected: String(PROTOCOL_MAJOR),
    });
  }
  const text = Array.isArray(v) ? v.join(',') : v;
  const m = /^\s*(\d+)(\.\d+)*\s*$/.exec(text);
  if (!m || Number(m[1]) !== PROTOCOL_MAJOR) {
    throw new CpError('CP_ERR_PROTOCOL_UNSUPPORTED', `protocol ${text} is not supported`, {
      received: text.slice(0, 32),
      supported: [String(PROTOCOL_MAJOR)],
    });
  }
}
