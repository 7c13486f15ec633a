// Test fixtures for archive/snapshot: hand-made tars written with tar-stream
// (an independent writer) and tree listings from find(1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export interface CraftEntry {
  name: string;
  type?: 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  /** pax records (tar-stream writes them as strings). */
  pax?: Record<string, string>;
}

/** A tar built by tar-stream from the given entries. */
export async function craftTar(entries: CraftEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type ?? 'file',
      linkname: e.linkname,
      mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_600_000_000_000),
      devmajor: e.devmajor,
      devminor: e.devminor,
      pax: e.pax,
    } as tar.Header;
    await new Promise<void>((res, rej) => {
      const cb = (err?: Error | null): void => (err ? rej(err) : res());
      if (e.body !== undefined || header.type === 'file') pack.entry(header, e.body ?? '', cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function streamOf(buf: Buffer, chunk = 7000): Readable {
  // small odd-sized chunks exercise the reader's block reassembly
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  })(), { objectMode: false });
}

/** `find` listing (path, type, mode, owner, size, link target, mtime) of a tree: an independent view of it. */
export function listing(dir: string, withTimes = true): string {
  const fmt = withTimes ? '%P %y %m %U:%G %s %l %T@\\n' : '%P %y %m %U:%G %s %l\\n';
  const out = execFileSync('find', ['.', '-mindepth', '1', '-printf', fmt], { cwd: dir, encoding: 'utf8' });
  // directory sizes depend on the filesystem's history, not on content
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      if (f[1] === 'd') f[4] = '-';
      return f.join(' ');
    })
    .sort()
    .join('\n');
}

export function scratch(prefix = 'tug-archive-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join('/var/tmp', prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const isRoot = process.getuid?.() === 0;
