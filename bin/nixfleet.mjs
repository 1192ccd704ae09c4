#!/usr/bin/env node
// The `nixfleet` executable: registers tsx's ESM loader so the TypeScript
// sources run directly (no build step), then hands over to ts/cli/main.ts,
// which owns argv and the exit code.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's tsconfig, not the one of the working directory: without it
// the .tsx views compile to React.createElement calls and crash when the
// CLI runs from a fleet repository.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../ts/cli/main.ts');
await main();
