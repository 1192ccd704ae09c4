#!/usr/bin/env node
// The `nixfleet` executable: registers tsx's ESM loader so the TypeScript
// sources run directly (no build step), then hands over to ts/cli/main.ts,
// which owns argv and the exit code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../ts/cli/main.ts');
await main();
