// Extended attributes (no symlink following) through @napi-rs/xattr, since
// Node has no xattr API. Filesystems without xattr support read as "none".
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';

/** overlayfs bookkeeping (origin, impure, uuid, redirect, metacopy, opaque): never part of a layer's content. */
export const OVERLAY_PREFIX = 'trusted.overlay.';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** xattrs that describe the host, not the image. */
export function isLayerXattr(name: string): boolean {
  return !name.startsWith(OVERLAY_PREFIX) && name !== 'security.selinux';
}

function osErrno(e: unknown): number | undefined {
  const m = /os error (\d+)/.exec(e instanceof Error ? e.message : String(e));
  return m ? Number(m[1]) : undefined;
}

const ENOENT = 2;
const EPERM = 1;
const ENODATA = 61;
const ENOTSUP = 95;

/** All xattrs of path (not following a symlink), sorted by name. */
export function readXattrs(path: string, keep: (name: string) => boolean = isLayerXattr): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let names: string[];
  try {
    names = listAttributesSync(path);
  } catch (e) {
    if (osErrno(e) === ENOTSUP) return out;
    throw e;
  }
  for (const n of names.sort()) {
    if (!keep(n)) continue;
    try {
      const v = getAttributeSync(path, n);
      if (v) out.set(n, Buffer.from(v));
    } catch (e) {
      const code = osErrno(e);
      if (code !== ENODATA && code !== ENOTSUP && code !== EPERM) throw e;
    }
  }
  return out;
}

export function getXattr(path: string, name: string): Buffer | null {
  try {
    return getAttributeSync(path, name);
  } catch (e) {
    const code = osErrno(e);
    if (code === ENODATA || code === ENOTSUP || code === ENOENT) return null;
    throw e;
  }
}

/** Sets an xattr; false when the filesystem or our privileges do not allow it (as Docker, not an error). */
export function setXattr(path: string, name: string, value: Buffer): boolean {
  try {
    setAttributeSync(path, name, value);
    return true;
  } catch (e) {
    const code = osErrno(e);
    if (code === ENOTSUP || code === EPERM) return false;
    throw e;
  }
}
