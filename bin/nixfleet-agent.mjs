#!/usr/bin/env node
// nixfleet-agent: runs ts/agent/main.ts through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../ts/agent/main.ts', import.meta.url).href);
