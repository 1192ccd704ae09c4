// Entry point of ts/nix: the child_process wrapper around `nix`.
export * from './run.ts';
