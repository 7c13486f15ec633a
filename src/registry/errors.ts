// The spec's error codes with their HTTP status, carried as one error type so
// the service can throw and the HTTP layer can answer with the JSON body.
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'TOO_LARGE';

const STATUS: Record<RegistryErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  TOO_LARGE: 413,
};

/** RANGE_INVALID and TOO_LARGE are statuses, not spec codes: they go on the wire as BLOB_UPLOAD_INVALID / SIZE_INVALID. */
const WIRE_CODE: Partial<Record<RegistryErrorCode, string>> = { RANGE_INVALID: 'BLOB_UPLOAD_INVALID', TOO_LARGE: 'SIZE_INVALID' };

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly detail?: unknown;
  readonly status: number;
  /** Extra response headers (WWW-Authenticate, Range, Location). */
  readonly headers: Record<string, string>;

  constructor(code: RegistryErrorCode, message: string, detail?: unknown, opts: { status?: number; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
    this.detail = detail;
    this.status = opts.status ?? STATUS[code];
    this.headers = opts.headers ?? {};
  }

  get wireCode(): string {
    return WIRE_CODE[this.code] ?? this.code;
  }

  body(): string {
    const e: { code: string; message: string; detail?: unknown } = { code: this.wireCode, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return JSON.stringify({ errors: [e] });
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}
