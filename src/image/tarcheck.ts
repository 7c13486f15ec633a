// What no layer from a user may contain: entries or hardlinks that climb out
// of the root. Checked on every header while a tar is stored (import).
import type { TarHeader } from '../archive/tar-header.js';
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

export function checkEntry(h: Pick<TarHeader, 'name' | 'type' | 'linkname'>): void {
  if (h.name.includes('\0')) throw unsafe(`invalid tar entry name ${JSON.stringify(h.name)}`, 'the archive is corrupt');
  if (!staysInside(h.name)) {
    throw unsafe(`unsafe tar entry "${h.name}": path escapes the root`, 'the archive tries to write outside the image root (path traversal); nothing was stored');
  }
  if (h.type === 'hardlink' && h.linkname && !staysInside(h.linkname)) {
    throw unsafe(`unsafe tar entry "${h.name}": hardlink to "${h.linkname}" outside the root`, 'the archive links to a file outside the image root; nothing was stored');
  }
}
