// Entry point of ts/contracts: the generated types of every boundary shape
// (from contracts/*.nix via schemas/) and their runtime validators. Shapes are
// never written by hand anywhere else.
export * from './generated/index.ts';
export { SCHEMAS } from './generated/schemas.ts';
export * from './validate.ts';
