// Reads a tar stream alongside whoever stores it and rejects what no layer
// may contain: entries or hardlinks that climb out of the root, and corrupt or
// truncated archives. The bytes themselves are not changed.
import { extract, type Header } from 'tar-stream';
import { TugError } from '../util/errors.js';

/** True when a tar path stays inside the root once "." and ".." are applied. */
export function staysInside(path: string): boolean {
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (--depth < 0) return false;
    } else depth++;
  }
  return true;
}

function unsafe(what: string, hint: string): TugError {
  return new TugError('INVALID_ARCHIVE', what, { hint });
}

export function checkEntry(h: Header): void {
  if (h.name.includes('\0')) throw unsafe(`invalid tar entry name ${JSON.stringify(h.name)}`, 'the archive is corrupt');
  if (!staysInside(h.name)) {
    throw unsafe(`unsafe tar entry "${h.name}": path escapes the root`, 'the archive tries to write outside the image root (path traversal); nothing was stored');
  }
  if (h.type === 'link' && h.linkname && !staysInside(h.linkname)) {
    throw unsafe(`unsafe tar entry "${h.name}": hardlink to "${h.linkname}" outside the root`, 'the archive links to a file outside the image root; nothing was stored');
  }
}

export function corrupt(e: unknown): TugError {
  if (e instanceof TugError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected end/i.test(msg)) {
    return unsafe('invalid tar archive: unexpected end of data (the archive is truncated)', 'the file is incomplete; copy or download it again');
  }
  return unsafe(`invalid tar archive: ${msg.replace(/\.$/, '')}`, 'the file is not a valid (uncompressed or gzip) tar archive');
}

/**
 * A tar parser fed chunk by chunk. `write` resolves when the parser is ready
 * for more; `end` resolves once the archive parsed cleanly (with at least one
 * entry), else rejects with an INVALID_ARCHIVE TugError.
 */
export class TarChecker {
  private readonly ex = extract();
  private failure?: TugError;
  private entries = 0;
  private readonly done: Promise<void>;

  constructor(private readonly onEntry: (h: Header) => void = checkEntry) {
    this.ex.on('entry', (h, stream, next) => {
      this.entries++;
      try {
        this.onEntry(h);
      } catch (e) {
        this.failure ??= corrupt(e);
        this.ex.destroy(this.failure);
        return;
      }
      stream.on('end', () => next());
      stream.resume();
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.ex.on('finish', () => resolve());
      this.ex.on('error', (e: unknown) => reject((this.failure ??= corrupt(e))));
      this.ex.on('close', () => (this.failure ? reject(this.failure) : resolve()));
    });
    this.done.catch(() => {});
  }

  get error(): TugError | undefined {
    return this.failure;
  }

  write(chunk: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ex.write(chunk)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { this.ex.off('error', onError); resolve(); };
      const onError = (): void => { this.ex.off('drain', onDrain); reject(this.failure); };
      this.ex.once('drain', onDrain);
      this.ex.once('error', onError);
      if (this.failure) onError();
    });
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    (this.ex as unknown as { end(): void }).end();
    await this.done;
    if (this.entries === 0) throw unsafe('invalid tar archive: it contains no entries', 'the file is empty or not a tar archive');
  }
}
