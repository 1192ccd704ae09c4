// Every `nixfleet` command's flag table, for the docs generator
// (ts/flags/docs.ts) and the test that holds each command's options to its
// table (tests/cli/flag-tables.test.ts). Commands import their own group.
import { FLEET_TABLES } from './fleet.ts';
import { KEY_TABLES } from './keys.ts';
import { RELEASE_TABLES } from './release.ts';
import type { CommandFlags } from './table.ts';

/** The tables in the order of docs/cli-reference.md. */
export const COMMAND_TABLES: readonly CommandFlags[] = [
  ...FLEET_TABLES,
  ...KEY_TABLES,
  ...RELEASE_TABLES,
];
