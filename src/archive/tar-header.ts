// The tar header format (POSIX ustar + pax extended headers, reading GNU long
// names too), written by hand because binary PAX values (security.capability
// xattrs) must survive byte for byte, which tar-stream's string PAX does not.
import { invalidArchive } from './errors.js';

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** Path as stored (pax `path` / GNU long name / prefix + name applied), not yet cleaned. */
  name: string;
  type: EntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky (& 0o7777)
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional from pax). */
  mtime: number;
  atime?: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records: name → raw bytes. */
  xattrs: Map<string, Buffer>;
}

export const BLOCK = 512;
const TYPE_BY_FLAG: Record<string, EntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};
const FLAG_BY_TYPE: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

export interface RawHeader {
  flag: string;
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
}

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function num(buf: Buffer, start: number, len: number, field: string, offset: number): number {
  const first = buf[start];
  if (first & 0x80) {
    // base-256 (GNU/star): big-endian two's complement, first byte's top bit is the marker
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + (i === 0 ? first & 0x7f : buf[start + i]);
    if (first & 0x40) throw invalidArchive(`negative ${field} in tar header at offset ${offset}`);
    return v;
  }
  const s = buf.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalidArchive(`invalid ${field} field ${JSON.stringify(s)} in tar header at offset ${offset}`);
  return parseInt(s, 8);
}

export function isZeroBlock(buf: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Decodes one 512-byte header block; throws INVALID_ARCHIVE on a bad checksum. */
export function decodeRaw(buf: Buffer, offset: number): RawHeader {
  let sum = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : buf[i];
    sum += b;
    signed += b > 127 ? b - 256 : b;
  }
  const stored = num(buf, 148, 8, 'checksum', offset);
  if (stored !== sum && stored !== signed) {
    throw invalidArchive(`corrupt tar: bad header checksum at offset ${offset}`);
  }
  const magic = buf.toString('latin1', 257, 263);
  let name = cstr(buf, 0, 100);
  // POSIX ustar keeps a path prefix at 345; GNU ("ustar  ") uses that area for other things.
  if (magic === 'ustar\0') {
    const prefix = cstr(buf, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    flag: String.fromCharCode(buf[156]),
    name,
    linkname: cstr(buf, 157, 100),
    mode: num(buf, 100, 8, 'mode', offset),
    uid: num(buf, 108, 8, 'uid', offset),
    gid: num(buf, 116, 8, 'gid', offset),
    size: num(buf, 124, 12, 'size', offset),
    mtime: num(buf, 136, 12, 'mtime', offset),
    devmajor: num(buf, 329, 8, 'devmajor', offset),
    devminor: num(buf, 337, 8, 'devminor', offset),
  };
}

export function entryType(flag: string, offset: number): EntryType {
  const t = TYPE_BY_FLAG[flag];
  if (!t) {
    if (flag === 'S') throw invalidArchive(`GNU sparse files are not supported (tar entry at offset ${offset})`);
    throw invalidArchive(`unsupported tar entry type ${JSON.stringify(flag)} at offset ${offset}`);
  }
  return t;
}

/** Parses pax records ("<len> <key>=<value>\n"); values stay raw bytes. */
export function parsePax(data: Buffer, offset: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // trailing padding written by some tools
    const sp = data.indexOf(0x20, pos);
    const len = sp === -1 ? NaN : Number(data.toString('latin1', pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw invalidArchive(`corrupt tar: malformed pax record at offset ${offset}`);
    }
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw invalidArchive(`corrupt tar: malformed pax record at offset ${offset}`);
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

// ---- writing -------------------------------------------------------------

function octal(buf: Buffer, value: number, start: number, len: number): boolean {
  const s = Math.trunc(value).toString(8);
  if (s.length > len - 1 || value < 0) return false;
  buf.write(s.padStart(len - 1, '0'), start, 'latin1');
  buf[start + len - 1] = 0;
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  // The length prefix counts itself.
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function encodeBlock(h: RawHeader, fits: { ok: boolean }): Buffer {
  const buf = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(h.name);
  const linkBytes = Buffer.from(h.linkname);
  if (nameBytes.length > 100) fits.ok = false;
  if (linkBytes.length > 100) fits.ok = false;
  nameBytes.copy(buf, 0, 0, Math.min(100, nameBytes.length));
  linkBytes.copy(buf, 157, 0, Math.min(100, linkBytes.length));
  if (!octal(buf, h.mode, 100, 8)) fits.ok = false;
  if (!octal(buf, h.uid, 108, 8)) { fits.ok = false; octal(buf, 0, 108, 8); }
  if (!octal(buf, h.gid, 116, 8)) { fits.ok = false; octal(buf, 0, 116, 8); }
  if (!octal(buf, h.size, 124, 12)) { fits.ok = false; octal(buf, 0, 124, 12); }
  if (!octal(buf, h.mtime, 136, 12)) { fits.ok = false; octal(buf, 0, 136, 12); }
  buf[156] = h.flag.charCodeAt(0);
  buf.write('ustar\x0000', 257, 'latin1');
  octal(buf, h.devmajor, 329, 8);
  octal(buf, h.devminor, 337, 8);
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += buf[i];
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return buf;
}

function pad(size: number): Buffer {
  const r = size % BLOCK;
  return r === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - r);
}

export function padding(size: number): Buffer {
  return pad(size);
}

/**
 * Encodes a header (plus a pax header before it when a value does not fit
 * ustar or xattrs are present). Deterministic: no uname/gname, whole seconds.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const mtime = Math.floor(h.mtime);
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const raw: RawHeader = {
    flag: FLAG_BY_TYPE[h.type], name, linkname: h.linkname, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid,
    size: h.type === 'file' ? h.size : 0, mtime, devmajor: h.devmajor, devminor: h.devminor,
  };
  const fits = { ok: true };
  const block = encodeBlock(raw, fits);
  if (fits.ok && h.xattrs.size === 0) return block;

  const recs: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) recs.push(paxRecord('path', Buffer.from(name)));
  if (Buffer.byteLength(h.linkname) > 100) recs.push(paxRecord('linkpath', Buffer.from(h.linkname)));
  if (h.uid > 0o7777777) recs.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > 0o7777777) recs.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (raw.size > 0o77777777777) recs.push(paxRecord('size', Buffer.from(String(raw.size))));
  if (mtime > 0o77777777777 || mtime < 0) recs.push(paxRecord('mtime', Buffer.from(String(mtime))));
  for (const [k, v] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) recs.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const body = Buffer.concat(recs);
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  const paxName = `PaxHeaders.0/${base}`.slice(0, 100);
  const paxBlock = encodeBlock({ ...raw, flag: 'x', name: paxName, linkname: '', size: body.length, devmajor: 0, devminor: 0, mtime: Math.max(0, Math.min(mtime, 0o77777777777)) }, { ok: true });
  // The ustar fields that did not fit were zeroed/truncated; the pax records take precedence.
  return Buffer.concat([paxBlock, body, pad(body.length), block]);
}

export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
