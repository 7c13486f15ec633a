// Keeping every tar entry inside the extraction root: lexical cleaning of
// entry names, then resolution of each parent component *inside* the root,
// following symlinks as if the root were `/` (never out of it).
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { invalidArchive } from './errors.js';

/** Cleans a tar entry name into path components; a name that climbs above the root is refused. */
export function cleanEntryPath(name: string, what = 'entry'): string[] {
  const out: string[] = [];
  if (name.includes('\0')) throw invalidArchive(`unsafe tar: ${what} "${name.replace(/\0/g, '\\0')}" contains a NUL byte`);
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw invalidArchive(`unsafe tar: ${what} "${name}" points outside the root (path traversal)`);
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out;
}

const MAX_LINKS = 40; // as the kernel's ELOOP limit

/**
 * Resolves directory components to a real relative path inside root:
 * symlinks are followed with root as `/`, `..` stops at root. Missing
 * directories are created (mode 0755, as Docker) when `create`, else null is
 * returned. A component that is not a directory is an INVALID_ARCHIVE.
 */
export function resolveDirInRoot(
  root: string,
  comps: readonly string[],
  create: boolean,
  onCreate?: (rel: string) => void,
): string | null {
  const cur: string[] = [];
  const queue = [...comps];
  let links = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const rel = [...cur, c].join('/');
    const abs = `${root}/${rel}`;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) {
      if (!create) return null;
      mkdirSync(abs, { mode: 0o755 });
      onCreate?.(rel);
      cur.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw invalidArchive(`unsafe tar: too many levels of symbolic links resolving "${comps.join('/')}"`);
      const target = readlinkSync(abs);
      if (target.startsWith('/')) cur.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw invalidArchive(`invalid tar: "${rel}" is not a directory but the archive puts entries under it`);
    cur.push(c);
  }
  return cur.join('/');
}

export function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}
