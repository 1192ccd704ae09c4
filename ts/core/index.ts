// Entry point of ts/core, the pure brain of the agent and the control plane:
// host and rollout reducers, the planner and its gates, decisions, replay.
// No I/O, no clock, deterministic; effects and actions are returned as data.
export type { EpochMs, CoreTimings } from './time.ts';
export { DEFAULT_TIMINGS, toRfc3339, parseRfc3339 } from './time.ts';
export type {
  DurationUnit,
  DurationErrorReason,
  DurationError,
  DurationResult,
  DurationSpec,
} from './duration.ts';
export { parseDuration, formatDuration, DURATION_EXAMPLES, UNIT_MS } from './duration.ts';
export type { BudgetRule, BudgetState, BudgetDecision } from './budget.ts';
export { takeBudget, budgetIdle } from './budget.ts';
export type { CoreErrorCode, TransitionError, StepResult } from './errors.ts';
export { CoreInvariantError } from './errors.ts';
export { ownValue } from './own.ts';
export type {
  WireAgentEvent,
  WireDispatch,
  ProbeMode,
  ProbeStatus,
  ProbeKind,
  DispatchRejectReason,
  DeferredComponent,
} from './wire.ts';
export type { Effect, LogLevel } from './effects.ts';
export { AGENT_ONLY_EFFECTS, CP_ONLY_EFFECTS } from './effects.ts';
export type {
  HostState,
  OnHealthFailure,
  ProbeDecl,
  ProbeRecord,
  HostRolloutState,
  HostPolicy,
  DispatchFields,
  LocalHostEvent,
  RemoteHostEvent,
  HostEvent,
} from './host/types.ts';
export { HOST_STATES, parseOnHealthFailure } from './host/types.ts';
export { step, foldHost } from './host/step.ts';
export type { ReplayAsk } from './host/reannounce.ts';
export { reannounceDue } from './host/reannounce.ts';
export { hostInvariantViolations } from './host/invariants.ts';
export type { LocalQuarantine, LocalQuarantineEntry } from './host/quarantine.ts';
export {
  failureQuarantines,
  isQuarantined,
  markReported,
  quarantineReport,
  recordFailure,
} from './host/quarantine.ts';
export type { ConvergenceBlock } from './host/probes.ts';
export { convergenceBlock, soakEndsAt } from './host/probes.ts';
export type { ProbeSetByName, ProbeSetDiff, ProbeSetRefusal } from './host/probe-declaration.ts';
export {
  closureProbeGap,
  describeProbeSetDiff,
  diffProbeSets,
  judgeProbeSet,
} from './host/probe-declaration.ts';
export { remoteEventFromWire } from './host/from-wire.ts';
export type {
  RolloutState,
  RolloutRecord,
  RolloutBook,
  RolloutEvent,
  RolloutEffect,
  RolloutOptions,
  HostCounts,
  OperatorMark,
  WaveApproval,
} from './rollout/types.ts';
export { ROLLOUT_STATES, EMPTY_BOOK, rolloutIdOf } from './rollout/types.ts';
export { rolloutStep, foldRollouts } from './rollout/step.ts';
export type { HoldKind, RolloutHold } from './rollout/hold.ts';
export { rolloutHold } from './rollout/hold.ts';
export type {
  OperatorAction,
  OperatorRole,
  OperatorRefusalCode,
  OperatorRequest,
  OperatorOutcome,
} from './rollout/operator.ts';
export {
  OPERATOR_ACTIONS,
  CONTROL_PLANE,
  OPENED_PAUSED_REASON,
  opensPaused,
  ACTION_ROLES,
  MAX_REASON_CHARS,
  decideOperatorAction,
  awaitsApproval,
  reasonProblem,
} from './rollout/operator.ts';
export { rolloutInvariantViolations, bookInvariantViolations } from './rollout/derive.ts';
export type {
  ManifestView,
  FleetView,
  HostLiveness,
  QuarantineEntry,
  PlannerInput,
} from './inputs.ts';
export type { Decision, DecisionKind, DecisionCode, GateName, GateBlock } from './decisions.ts';
export { explainHost } from './decisions.ts';
export type { PlanAction, PlanResult } from './planner/types.ts';
export type { PlanOptions } from './planner/plan-next.ts';
export { planNext } from './planner/plan-next.ts';
export { budgetLimit } from './gates/disruption-budget.ts';
export { isOffline } from './gates/offline.ts';
export { markPaced, pacedBlock } from './pacing/admission-control.ts';
export { selectorLabel } from './selectors.ts';
export type { LogEntry, FleetModel, ApplyResult } from './applier.ts';
export { emptyFleetModel, applyHostEvent, applyPlanAction, applyRolloutEvent } from './applier.ts';
export { replay } from './replay.ts';
export type { DispatchAction, HeldDispatches, ReleaseResult } from './pacing/held.ts';
export { holdDispatches, releaseHeld } from './pacing/held.ts';
export type { PacerConfig, PacerState } from './pacing/pacer.ts';
export { initialPacer } from './pacing/pacer.ts';
export type {
  TickDecision,
  TickMode,
  TickObservation,
  TickPolicyConfig,
  TickRequest,
  TickSettlement,
} from './pacing/tick-policy.ts';
export {
  admitActions,
  decideTick,
  EXPLAIN_EVERY_MS,
  HELD_MAX_AGE_MS,
  PACED_TRIGGER,
  settleTick,
  WARMUP_ACTIONS,
} from './pacing/tick-policy.ts';
export type { EnrollRefusal, RefusalBook, RefusalLimits, RefusalNoted } from './enroll/refusals.ts';
export { REFUSAL_LIMITS, clearEnrollRefusal, noteEnrollRefusal } from './enroll/refusals.ts';
export type {
  IrrevocableAcceptance,
  IrrevocableChange,
  IrrevocableSet,
  IrrevocableValue,
  IrrevocableVerdict,
} from './irrevocable.ts';
export {
  acceptanceCovers,
  diffIrrevocable,
  judgeIrrevocable,
  showIrrevocable,
} from './irrevocable.ts';
export type { ProbeRun, ControlVerdict } from './compliance/judge.ts';
export { normaliseOutput, judgeControl, evidencePayload } from './compliance/judge.ts';
export type { AdoptDispatch, EventAdoption, FleetRead } from './observe/adopt.ts';
export { adoption, eventAdoption, orphanConfirmEvents, orphanTarget } from './observe/adopt.ts';
export type {
  DriftStep,
  HeartbeatDecision,
  HeartbeatObserved,
  HostMemory,
} from './observe/heartbeat.ts';
export { observeHeartbeat, replayGraceMs } from './observe/heartbeat.ts';
export type { NotificationKind, NotificationSeverity } from './notify/notify.ts';
export {
  NOTIFICATION_KINDS,
  FLEET_SUBJECT_TOKEN,
  rolloutNotifications,
  enrolledNotification,
  bootstrapNotification,
  heldNotifications,
  natsSubject,
  isSubjectPrefix,
  backoffMs,
  notificationText,
} from './notify/notify.ts';
