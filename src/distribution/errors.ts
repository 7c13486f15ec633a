// Registry error bodies ({"errors":[{"code","message","detail"}]}) -> TugError.
import { TugError, type ErrorCode } from '../util/errors.js';
import type { HttpResponse } from './transport.js';

export interface RegistryErrorEntry {
  code: string;
  message: string;
}

export class RegistryError extends TugError {
  readonly status: number;
  readonly errors: RegistryErrorEntry[];
  constructor(code: ErrorCode, message: string, status: number, errors: RegistryErrorEntry[], hint?: string) {
    super(code, message, { hint });
    this.status = status;
    this.errors = errors;
  }
  has(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

function parseBody(text: string): RegistryErrorEntry[] {
  try {
    const v = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (Array.isArray(v.errors)) {
      return v.errors.map((e) => ({ code: String(e.code ?? 'UNKNOWN'), message: String(e.message ?? '') }));
    }
  } catch {
    /* not JSON: fall through */
  }
  return [];
}

/** Turns a non-2xx response into an error; `what` names the request for the message ("manifest for x:y"). */
export async function registryError(res: HttpResponse, what: string, host: string): Promise<RegistryError> {
  let text = '';
  if (res.body && !res.body.readableEnded) {
    try {
      text = await res.text(64 * 1024);
    } catch {
      text = '';
    }
  }
  const errors = parseBody(text);
  // docker prints "<code lower-cased with spaces>: <message>" for each error
  // a body-less answer (HEAD, some proxies) gets the wording registries use for that status
  const bare: Record<number, string> = { 401: 'unauthorized: authentication required', 403: 'denied: requested access to the resource is denied', 404: 'not found' };
  const detail = errors.length
    ? errors.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`).join('; ')
    : text.trim() === '' && bare[res.status] ? bare[res.status] : `${res.status} ${text.trim().slice(0, 200) || statusText(res.status)}`;
  const codes = new Set(errors.map((e) => e.code));
  if (res.status === 401 || codes.has('UNAUTHORIZED')) {
    return new RegistryError('UNAUTHORIZED', `${what}: ${detail}`, res.status, errors, `run 'tug login ${host}' with an account that may access it`);
  }
  if (res.status === 403 || codes.has('DENIED')) {
    return new RegistryError('UNAUTHORIZED', `${what}: ${detail}`, res.status, errors, `the account may not access this repository; check 'tug login ${host}'`);
  }
  if (res.status === 404 || codes.has('MANIFEST_UNKNOWN') || codes.has('NAME_UNKNOWN') || codes.has('BLOB_UNKNOWN')) {
    return new RegistryError('NOT_FOUND', `${what} not found: ${detail}`, res.status, errors, 'check the repository name and tag');
  }
  return new RegistryError('REGISTRY', `${what}: ${detail}`, res.status, errors, res.status >= 500 ? `the registry ${host} failed; try again later` : undefined);
}

function statusText(status: number): string {
  const m: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 416: 'Range Not Satisfiable', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  return m[status] ?? '';
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
