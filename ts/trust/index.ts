// Entry point of ts/trust: canonical JSON, keys, signatures, trust.json, and
// the verifiers of every signed boundary artifact. Pure — no file, network or
// clock access; callers pass bytes and `now`.
export * from './canonical.ts';
export * from './encoding.ts';
export * from './errors.ts';
export * from './keys.ts';
export * from './monotonic.ts';
export * from './openssh.ts';
export * from './private-keys.ts';
export * from './result.ts';
export * from './rollout-id.ts';
export * from './sign.ts';
export * from './signature.ts';
export * from './time.ts';
export * from './trust-config.ts';
export * from './verify-artifacts.ts';
export * from './verify-payload.ts';
export {
  CLOCK_SKEW_SLACK_SECS,
  ACCEPTED_SCHEMA_VERSIONS,
  verifySignedArtifact,
} from './verify-signed.ts';
export type { VerifyOptions, Verified, VerifyResult } from './verify-signed.ts';
export * from './verify-token.ts';
