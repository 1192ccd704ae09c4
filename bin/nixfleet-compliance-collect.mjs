#!/usr/bin/env node
// `nixfleet-compliance-collect` from the sources, for development: runs
// ts/compliance/main.ts through tsx's ESM loader. The installed binary is
// the build, dist/nixfleet-compliance-collect.js (`npm run build`).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../ts/compliance/main.ts', import.meta.url).href);
