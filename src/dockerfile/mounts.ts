// `RUN --mount=type=…,key=value` option strings as typed mounts, with
// BuildKit's key names, aliases, validation and defaults.
import { DockerfileError } from './errors.js';
import { parseGoBool } from './flags.js';
import { suggest } from './suggest.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';
export const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];

interface MountCommon {
  /** Where the mount appears in the container (secret/ssh get defaults below). */
  target: string;
  readOnly: boolean;
}

export interface BindMount extends MountCommon {
  type: 'bind';
  /** Path in the source (default: its root). */
  source?: string;
  /** Stage name/index or image; default: the build context. */
  from?: string;
}

export interface CacheMount extends MountCommon {
  type: 'cache';
  /** Cache identity; defaults to the target path. */
  id: string;
  sharing: CacheSharing;
  from?: string;
  source?: string;
  mode: number; // default 0o755
  uid: number; // default 0
  gid: number; // default 0
}

export interface TmpfsMount extends MountCommon {
  type: 'tmpfs';
  /** Size limit in bytes, if given. */
  size?: number;
}

export interface SecretMount extends MountCommon {
  type: 'secret';
  /** Secret id; defaults to the basename of the target. */
  id: string;
  /** Also (or only) expose the secret as this environment variable. */
  env?: string;
  /** Default target /run/secrets/<id> unless only env= was given. */
  required: boolean;
  mode: number; // default 0o400
  uid: number;
  gid: number;
}

export interface SshMount extends MountCommon {
  type: 'ssh';
  /** Agent socket id; default "default". */
  id: string;
  required: boolean;
  mode: number; // default 0o600
  uid: number;
  gid: number;
}

export type Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

/** Splits a CSV record as Go's encoding/csv reads one line. */
export function splitCsv(s: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new DockerfileError(`extraneous or missing " in quoted-field in ${JSON.stringify(s)}`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ',') throw new DockerfileError(`extraneous or missing " in quoted-field in ${JSON.stringify(s)}`);
    } else {
      while (i < s.length && s[i] !== ',') {
        if (s[i] === '"') throw new DockerfileError(`bare " in non-quoted-field in ${JSON.stringify(s)}`);
        field += s[i++];
      }
    }
    fields.push(field);
    if (i >= s.length) return fields;
    i++; // the comma
  }
}

const RAM_RE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const RAM_MULT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: "64m", "1.5GiB", "512". */
export function parseRamBytes(s: string): number | undefined {
  const m = RAM_RE.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return Math.floor(n * (m[2] ? RAM_MULT[m[2].toLowerCase()] : 1));
}

function parseUint(value: string, base: 8 | 10, what: string): number {
  const re = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  const n = re.test(value) ? parseInt(value, base) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw new DockerfileError(`invalid value for ${what}: ${value}`);
  return n;
}

interface Draft {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readOnly?: boolean;
  required?: boolean;
  id?: string;
  sharing?: CacheSharing;
  mode?: number;
  uid?: number;
  gid?: number;
  env?: string;
  size?: number;
}

/**
 * Parses one --mount value. `expand` (the builder's word expander) is applied
 * to every value; without it values stay as written.
 */
export function parseMount(spec: string, expand?: (word: string) => string): Mount {
  const d: Draft = { type: 'bind' };
  for (const field of splitCsv(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') d.readOnly = true;
      else if (key === 'readwrite' || key === 'rw') d.readOnly = false;
      else if (key === 'required') {
        if (d.type !== 'secret' && d.type !== 'ssh') throw new DockerfileError(`unexpected key '${key}' for mount type '${d.type}'`);
        d.required = true;
      } else throw new DockerfileError(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    let value = field.slice(eq + 1);
    if (expand) value = expand(value);
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(MOUNT_TYPES as readonly string[]).includes(t)) {
          const s = suggest(value, MOUNT_TYPES);
          throw new DockerfileError(`unsupported mount type ${JSON.stringify(value)}${s ? ` (did you mean ${s}?)` : ''}`, {
            hint: `mount types: ${MOUNT_TYPES.join(', ')}`,
          });
        }
        d.type = t as MountType;
        break;
      }
      case 'from':
        d.from = value;
        break;
      case 'source':
      case 'src':
        d.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        d.target = value;
        break;
      case 'readonly':
      case 'ro':
      case 'readwrite':
      case 'rw': {
        const b = parseGoBool(value);
        if (b === undefined) throw new DockerfileError(`invalid value for ${key}: ${value}`);
        d.readOnly = key === 'readonly' || key === 'ro' ? b : !b;
        break;
      }
      case 'required': {
        if (d.type !== 'secret' && d.type !== 'ssh') throw new DockerfileError(`unexpected key '${key}' for mount type '${d.type}'`);
        const b = parseGoBool(value);
        if (b === undefined) throw new DockerfileError(`invalid value for ${key}: ${value}`);
        d.required = b;
        break;
      }
      case 'id':
        d.id = value;
        break;
      case 'sharing': {
        const v = value.toLowerCase();
        if (v !== '' && v !== 'shared' && v !== 'private' && v !== 'locked') {
          throw new DockerfileError(`unsupported sharing value "${value}"`, { hint: 'sharing is one of shared, private, locked' });
        }
        if (v !== '') d.sharing = v as CacheSharing;
        break;
      }
      case 'mode':
        d.mode = parseUint(value, 8, 'mode');
        break;
      case 'uid':
        d.uid = parseUint(value, 10, 'uid');
        break;
      case 'gid':
        d.gid = parseUint(value, 10, 'gid');
        break;
      case 'env':
        if (d.type !== 'secret') throw new DockerfileError(`unexpected key '${key}' for mount type '${d.type}'`);
        d.env = value;
        break;
      case 'size': {
        if (d.type !== 'tmpfs') throw new DockerfileError(`unexpected key '${key}' for mount type '${d.type}'`);
        const n = parseRamBytes(value);
        if (n === undefined) throw new DockerfileError(`invalid value for size: ${value}`);
        d.size = n;
        break;
      }
      default: {
        const s = suggest(key, ['type', 'from', 'source', 'target', 'readonly', 'readwrite', 'required', 'id', 'sharing', 'mode', 'uid', 'gid', 'env', 'size']);
        throw new DockerfileError(`unexpected key '${key}' in '${field}'${s ? ` (did you mean ${s}?)` : ''}`);
      }
    }
  }
  return finish(d);
}

function finish(d: Draft): Mount {
  const fileInfo = d.type === 'secret' || d.type === 'ssh' || d.type === 'cache';
  if (!fileInfo) {
    if (d.mode !== undefined) throw new DockerfileError(`mode not allowed for "${d.type}" type mounts`);
    if (d.uid !== undefined) throw new DockerfileError(`uid not allowed for "${d.type}" type mounts`);
    if (d.gid !== undefined) throw new DockerfileError(`gid not allowed for "${d.type}" type mounts`);
  }
  if (d.sharing !== undefined && d.type !== 'cache') throw new DockerfileError(`invalid cache sharing set for ${d.type} mount`);
  const needsTarget = d.type === 'bind' || d.type === 'cache' || d.type === 'tmpfs';
  if (needsTarget && !d.target) {
    throw new DockerfileError(`mount type "${d.type}" requires a target`, { hint: 'add target=/path (aliases: dst, destination)' });
  }
  const ro = d.readOnly;
  switch (d.type) {
    case 'bind':
      return { type: 'bind', target: d.target as string, readOnly: ro ?? true, source: d.source, from: d.from };
    case 'cache':
      return {
        type: 'cache', target: d.target as string, readOnly: ro ?? false, id: d.id || (d.target as string),
        sharing: d.sharing ?? 'shared', from: d.from, source: d.source, mode: d.mode ?? 0o755, uid: d.uid ?? 0, gid: d.gid ?? 0,
      };
    case 'tmpfs':
      if (d.from !== undefined || d.source !== undefined) throw new DockerfileError('tmpfs mounts take no from or source');
      return { type: 'tmpfs', target: d.target as string, readOnly: ro ?? false, size: d.size };
    case 'secret': {
      if (d.from !== undefined) throw new DockerfileError('secret mount should not have a from');
      if (d.source && d.id && d.source !== d.id) throw new DockerfileError("both source and id can't be set");
      const id = d.id || d.source || (d.target ? basename(d.target) : '');
      if (!id) throw new DockerfileError('invalid secret mount: one of id, source or target is required');
      const target = d.target ?? (d.env !== undefined ? '' : `/run/secrets/${id}`);
      return { type: 'secret', target, readOnly: ro ?? true, id, env: d.env, required: d.required ?? false, mode: d.mode ?? 0o400, uid: d.uid ?? 0, gid: d.gid ?? 0 };
    }
    case 'ssh':
      if (d.from !== undefined) throw new DockerfileError('ssh mount should not have a from');
      return {
        type: 'ssh', target: d.target ?? '', readOnly: ro ?? true, id: d.id || d.source || 'default', required: d.required ?? false,
        mode: d.mode ?? 0o600, uid: d.uid ?? 0, gid: d.gid ?? 0,
      };
  }
}

function basename(p: string): string {
  const parts = p.split('/').filter((x) => x !== '');
  return parts.length ? parts[parts.length - 1] : '';
}
