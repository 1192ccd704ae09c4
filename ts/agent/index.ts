// Entry point of ts/agent: the per-host actuator (book §1.5, RFC-0005,
// RFC-0006 §7.1). Its vocabulary is only "your target is closure X": it
// never runs a command it was sent. The runtime wraps core's pure host
// reducer; workers feed it, an applier runs its effects.
export { AgentError, isAgentError, type AgentErrorCode } from './errors.ts';
export { systemClock, offsetClock, sleep, type Clock } from './clock.ts';
export {
  parseAgentConfig,
  environmentVariableFor,
  DEFAULT_AGENT_TIMINGS,
  OPTION_NAMES,
  type AgentConfig,
  type AgentTimings,
  type ActivationBackendName,
  type RawOptions,
} from './config/config.ts';
export { parseDuration } from '../core/duration.ts';
export { StateStore, emptySnapshot, type AgentSnapshot } from './state/store.ts';
export { writeFileAtomic, readJsonFile } from './state/atomic-file.ts';
export { Outbox, type DeliveryOutcome, type EventSender } from './queue/outbox.ts';
export { backoffDelay } from './queue/backoff.ts';
export { H2Client, PROTOCOL_VERSION, type TlsMaterial } from './http/h2-client.ts';
export { CpApi, parseReplayFrom } from './http/cp-api.ts';
export type { ActivationBackend, SwitchHandle, SwitchStatus } from './activation/backend.ts';
export { createSandboxBackend } from './activation/sandbox.ts';
export { createNixosBackend, type CommandRunner } from './activation/nixos.ts';
export {
  activate,
  pollSwitch,
  stageProfile,
  type ActivationOutcome,
} from './activation/activate.ts';
export { detectSwitchInhibitor, canonicalPath } from './activation/inhibitors.ts';
export { realiseClosure, isClosureName, type RealiseOutcome } from './activation/realise.ts';
export { loadProbeSet, topologyOf, type ProbeSpec } from './probes/config.ts';
export { runProbe, evaluateEvidence, type ProbeOutcome } from './probes/runners.ts';
export { signProbeResult, type SignedEvidence } from './probes/evidence.ts';
export { ProbeScheduler } from './probes/scheduler.ts';
export { verifyDispatchManifest } from './manifest/verify-dispatch.ts';
export { createCsr } from './enroll/csr.ts';
export { loadHostKey, type HostKey } from './enroll/host-key.ts';
export { ensureEnrolled, runRenewal } from './enroll/enroll.ts';
export { readCertificate, certificateInfo } from './enroll/certificate.ts';
export { HostLoop, type ProbeControl } from './runtime/host-loop.ts';
export type { LoopMessage } from './runtime/messages.ts';
export { startAgent, loadTrust, type RunningAgent, type AgentDeps } from './runtime/agent.ts';
export { createLogger } from './log.ts';
