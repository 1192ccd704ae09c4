// Switch-inhibitor detection (Boundary contracts §I.7 carve-out): a live
// switch is skipped when dbus, systemd, the kernel or init differ between the
// running system and the new closure. Detection is canonical-path equality
// of four store-relative paths; a path missing on either side is out of
// scope and never defers. Must never modify anything.
import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { DeferredComponent } from '../../core/index.ts';

/** The four inhibiting components and their store-relative paths, in check order. */
export const INHIBITOR_PATHS: readonly (readonly [DeferredComponent, string])[] = [
  ['dbus', 'etc/systemd/system/dbus.service'],
  ['systemd', 'sw/lib/systemd/systemd'],
  ['kernel', 'kernel'],
  ['init', 'init'],
];

/**
 * Resolves every symlink component like realpath(3), mapping absolute link
 * targets through `mapAbsolute` (the sandbox's store lives under its root).
 * `null` when the path does not exist or loops.
 *
 * @example canonicalPath('/run/current-system/kernel', (p) => p)
 */
export function canonicalPath(path: string, mapAbsolute: (p: string) => string): string | null {
  const pending = resolve(path)
    .split('/')
    .filter((c) => c !== '');
  let done = '/';
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done = dirname(done);
      continue;
    }
    const next = join(done, part);
    let st;
    try {
      st = lstatSync(next);
    } catch {
      return null;
    }
    if (!st.isSymbolicLink()) {
      done = next;
      continue;
    }
    if (++hops > 40) return null;
    const target = readlinkSync(next);
    const base = isAbsolute(target) ? mapAbsolute(target) : resolve(done, target);
    pending.unshift(
      ...resolve(base)
        .split('/')
        .filter((c) => c !== ''),
    );
    done = '/';
  }
  return done;
}

/**
 * The first component whose canonical path differs between the running
 * system and the target, or `null` when a live switch is safe.
 *
 * @example detectSwitchInhibitor('/run/current-system', '/nix/store/…-new', (p) => p) // 'kernel'
 */
export function detectSwitchInhibitor(
  currentRoot: string,
  targetRoot: string,
  mapAbsolute: (p: string) => string,
): DeferredComponent | null {
  for (const [component, rel] of INHIBITOR_PATHS) {
    const a = canonicalPath(join(currentRoot, rel), mapAbsolute);
    const b = canonicalPath(join(targetRoot, rel), mapAbsolute);
    if (a === null || b === null) continue;
    if (a !== b) return component;
  }
  return null;
}
