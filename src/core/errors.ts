/**
 * One error family for the whole product. Library code throws `AppError` with a `code`;
 * the edges map the code: the CLI to an exit code and a one-line message, the server to an
 * HTTP status. Anything that is not an AppError is a bug and is reported as `internal`.
 */
export type ErrorCode =
  | 'usage' // a bad option or argument
  | 'input' // an input file that cannot be used at all (missing, unknown format, unreadable gzip)
  | 'not_found'
  | 'conflict'
  | 'locked' // the database is held by another process
  | 'unauthorized'
  | 'forbidden'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable' // a part of the server that cannot work until it is restarted or repaired
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, appended to the message on the command line. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Exit codes from spec/CLI.md: 2 unusable invocation or input, 1 anything else. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'usage' || code === 'input' || code === 'not_found' || code === 'conflict' ? 2 : 1;
}

/** HTTP status for an error code, used at the server edge. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'input':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
    case 'locked':
      return 409;
    case 'too_large':
      return 413;
    case 'rate_limited':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}
