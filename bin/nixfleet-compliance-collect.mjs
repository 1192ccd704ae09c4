#!/usr/bin/env node
// nixfleet-compliance-collect: runs ts/compliance/main.ts through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../ts/compliance/main.ts', import.meta.url).href);
