// Entry point of ts/contracts: the generated types of every boundary shape
// (from contracts/*.nix via schemas/) and their runtime validators. Shapes are
// never written by hand anywhere else. The JSON Schemas themselves are
// imported from ./generated/schemas.ts by what needs them (the control plane's
// body guard), not re-exported here: a re-export bundles them (~270 kB) into
// every program that validates, read and parsed at each CLI start.
export * from './generated/index.ts';
export * from './validate.ts';
