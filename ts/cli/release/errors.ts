// Typed failures of `nixfleet release`. Every abort names what failed and
// leaves the previous release untouched; callers branch on `code`.

/** Stable codes of release failures. */
export const RELEASE_ERROR_CODES = [
  'RELEASE_ERR_ARGS',
  'RELEASE_ERR_EVAL',
  'RELEASE_ERR_INVALID_FLEET',
  'RELEASE_ERR_UNACCEPTED_WARNING',
  'RELEASE_ERR_COMPLIANCE',
  'RELEASE_ERR_PIN_SOURCE',
  'RELEASE_ERR_BUILD',
  'RELEASE_ERR_PROBES_NOT_RENDERED',
  'RELEASE_ERR_IRREVOCABLE_CHANGE',
  'RELEASE_ERR_PUSH_HOOK',
  'RELEASE_ERR_SIGN_HOOK',
  'RELEASE_ERR_SMOKE_VERIFY',
  'RELEASE_ERR_WRITE',
  'RELEASE_ERR_GIT',
] as const;

export type ReleaseErrorCode = (typeof RELEASE_ERROR_CODES)[number];

/** A release abort: nothing was written. */
export class ReleaseError extends Error {
  readonly code: ReleaseErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ReleaseErrorCode,
    message: string,
    options: { context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReleaseError';
    this.code = code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}
