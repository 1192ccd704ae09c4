#!/usr/bin/env node
// `nixfleet-control-plane` from the sources, for development: registers
// tsx's ESM loader and hands over to ts/cp/main.ts, which owns argv, signals
// and the exit code. The installed binary is the build,
// dist/nixfleet-control-plane.js (`npm run build`), which needs no loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../ts/cp/main.ts');
await main();
