#!/usr/bin/env node
// `nixfleet` from the sources, for development: registers tsx's ESM loader
// and hands over to ts/cli/main.ts. The tests, the harness and `npm run demo`
// run it; the installed binary (package.json "bin", the Nix package) is the
// build, dist/nixfleet.js (`npm run build`), which needs no loader.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's tsconfig, not the one of the working directory: without it
// the .tsx views compile to React.createElement calls and crash when the
// CLI runs from a fleet repository.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../ts/cli/main.ts');
await main();
