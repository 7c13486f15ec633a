// sha256 digests: parse, validate, compute (also while streaming).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TugError } from '../util/errors.js';
import type { Digest } from './types.js';

const SHA256 = /^sha256:[a-f0-9]{64}$/;
// The OCI grammar: algorithm ":" encoded
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(s: string): boolean {
  return SHA256.test(s);
}

/** Validates a digest; only sha256 is supported for content. */
export function parseDigest(s: string): Digest {
  if (SHA256.test(s)) return s;
  if (ANY_DIGEST.test(s) && !s.startsWith('sha256:')) {
    throw new TugError('INVALID_ARGUMENT', `unsupported digest algorithm: ${s.split(':')[0]}`, { hint: 'tug supports sha256 digests' });
  }
  throw new TugError('INVALID_ARGUMENT', `invalid digest "${s}"`, { hint: 'a digest looks like sha256:<64 lowercase hex characters>' });
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256(data: string | Buffer | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  private result?: Digest;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  /** Valid once the stream has ended. */
  digest(): Digest {
    this.result ??= `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}

export function shortId(d: Digest): string {
  return digestHex(d).slice(0, 12);
}
