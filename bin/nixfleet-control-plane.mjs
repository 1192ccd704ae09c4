#!/usr/bin/env node
// The `nixfleet-control-plane` executable: registers tsx's ESM loader so the
// TypeScript sources run directly (no build step), then hands over to
// ts/cp/main.ts, which owns argv, signals and the exit code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../ts/cp/main.ts');
await main();
