// Entry point of ts/cp, the control plane: HTTP/2 + TLS 1.3 mTLS router,
// SQLite state behind a storage seam, and the single-mutator runtime that
// applies ts/core's reducers and planner. The program entry is main.ts.
export { createControlPlane } from './cp.ts';
export type { ControlPlane, ControlPlaneDeps } from './cp.ts';
export { FLAGS, parseConfig, parseListen, strictViolations } from './config.ts';
export type { CpConfig, CpTimings, FlagSpec } from './config.ts';
export { CpError, CP_ERROR_STATUS, isCpError } from './errors.ts';
export type { CpErrorCode, CpErrorBody } from './errors.ts';
export { manualClock, systemClock } from './clock.ts';
export type { Clock, ManualClock } from './clock.ts';
export { createLogger, silentLogger } from './log.ts';
export { CpMetrics } from './metrics.ts';
export { openSqliteStorage } from './storage/sqlite.ts';
export { MIGRATIONS, SCHEMA_VERSION } from './storage/migrations.ts';
export type { Storage, WriteOp, EventRow, StoredState } from './storage/types.ts';
export type { TickSummary } from './runtime/reconcile.ts';
export { PROTOCOL_MAJOR } from './server/http.ts';
