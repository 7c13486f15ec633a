// Errors a user can cause. The CLI prints `Error: <message>` and, when there
// is one, `Hint: <hint>`; anything that is not a TugError is a bug and is
// printed with its stack.

export type ErrorCode =
  | 'INVALID_ARGUMENT' // bad flag, bad value, bad reference
  | 'NOT_FOUND' // unknown image, container, blob, file
  | 'ALREADY_EXISTS' // a name in use
  | 'CONFLICT' // the object is in use or in the wrong state
  | 'DIGEST_MISMATCH' // content does not match its digest or size
  | 'INVALID_ARCHIVE' // corrupt, truncated or unsafe tar
  | 'UNSUPPORTED' // a flag or value that tug does not support yet
  | 'PERMISSION_DENIED'
  | 'UNAUTHORIZED' // registry auth failed
  | 'REGISTRY' // the registry answered with an error
  | 'NETWORK' // connection problems
  | 'RUNTIME' // the OCI runtime or conmon failed
  | 'CANNOT_INVOKE' // exit 126: the container command cannot be invoked
  | 'COMMAND_NOT_FOUND' // exit 127: the container command does not exist
  | 'SYNTAX' // Dockerfile syntax
  | 'BUILD' // a build step failed
  | 'INTERNAL';

export interface TugErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Overrides the verb's default failure exit code (e.g. 126/127). */
  exitCode?: number;
}

export class TugError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode?: number;

  constructor(code: ErrorCode, message: string, opts: TugErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TugError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode;
  }
}

export function isTugError(e: unknown, code?: ErrorCode): e is TugError {
  return e instanceof TugError && (code === undefined || e.code === code);
}

export function notFound(what: string, hint?: string): TugError {
  return new TugError('NOT_FOUND', what, { hint });
}

export function invalid(message: string, hint?: string): TugError {
  return new TugError('INVALID_ARGUMENT', message, { hint });
}

export function unsupported(feature: string): TugError {
  return new TugError('UNSUPPORTED', `${feature} is not supported yet`, {
    hint: 'see `tug <command> --help` for what is supported',
  });
}

/** errno-style code of a Node system error, or undefined. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}
