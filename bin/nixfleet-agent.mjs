#!/usr/bin/env node
// `nixfleet-agent` from the sources, for development: runs ts/agent/main.ts
// through tsx's ESM loader. The installed binary is the build,
// dist/nixfleet-agent.js (`npm run build`), which needs no loader.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../ts/agent/main.ts', import.meta.url).href);
