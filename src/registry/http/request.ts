// Small helpers for node:http requests and responses: parsing the headers the
// spec uses (Range, Content-Range, Content-Length), reading small bodies with
// a cap, and writing the spec's JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from '../errors.js';

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function contentLength(req: IncomingMessage): number | undefined {
  const v = header(req, 'content-length');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new RegistryError('SIZE_INVALID', 'invalid Content-Length');
  return Number(v);
}

/** Does the request carry a body (a non-zero length, or chunked encoding)? */
export function hasBody(req: IncomingMessage): boolean {
  const len = header(req, 'content-length');
  if (len !== undefined) return len.trim() !== '0';
  return header(req, 'transfer-encoding') !== undefined;
}

/** Content-Range of a PATCH: "<start>-<end>" (the spec's form; "bytes " prefixes are tolerated). */
export function parseContentRange(v: string | undefined): { start: number; end: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(v.trim());
  if (!m) throw new RegistryError('RANGE_INVALID', 'Content-Range must be <start>-<end>');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError('RANGE_INVALID', 'Content-Range end is before its start');
  return { start, end };
}

/**
 * A single byte range of `size` from a Range header, 'unsatisfiable', or
 * undefined for none (or one we ignore, as RFC 9110 allows for bad syntax).
 */
export function parseRange(v: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!v) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(v.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(size - n, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** Reads a small body into memory, refusing more than `max` bytes with 413. */
export async function readSmallBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > max) throw new RegistryError('TOO_LARGE', `body is larger than ${max} bytes`, { limit: max });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new RegistryError('TOO_LARGE', `body is larger than ${max} bytes`, { limit: max });
    chunks.push(c as Buffer);
  }
  if (!req.complete) throw new RegistryError('BLOB_UPLOAD_INVALID', 'request body ended early');
  return Buffer.concat(chunks);
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = err.body();
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', req.method === 'HEAD' ? 0 : Buffer.byteLength(body));
  // an unread request body is not worth reading: close instead
  if (!req.complete) res.setHeader('Connection', 'close');
  res.statusCode = err.status;
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const body = JSON.stringify(value);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.statusCode = status;
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', 0);
  res.statusCode = status;
  res.end();
}
