// A build context directory as the builder sees it: the tree after
// .dockerignore, COPY source patterns resolved against it, and content
// checksums of exactly the paths a step reads (mode, size, link target and
// bytes; never mtimes or owners), so cache keys follow content, not touches.
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, readFileSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TugError } from '../../util/errors.js';
import { IgnoreMatcher } from './dockerignore.js';
import { StatCache } from './statcache.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface ContextEntry {
  rel: string; // slash-separated, relative to the context root; '' is the root
  type: EntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky
  size: number;
  stat: BigIntStats;
}

const CHUNK = 1 << 20;

function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Go filepath.Match for one path component (COPY source globs). */
export function componentRegex(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new TugError('INVALID_ARGUMENT', `invalid pattern "${glob}"`);
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += /[.+()|{}$^]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`${re}$`, 's');
}

export function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

export class BuildContext {
  private readonly entries = new Map<string, ContextEntry>();
  private readonly children = new Map<string, string[]>();
  private readonly digests = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly ignore: IgnoreMatcher,
    private readonly cache: StatCache,
  ) {}

  /** Walks the context once; ignored trees are skipped unless an exception may re-include something below. */
  static open(dir: string, opts: { ignore?: IgnoreMatcher; cache?: StatCache } = {}): BuildContext {
    let rootStat: BigIntStats;
    try {
      rootStat = lstatSync(dir, { bigint: true });
    } catch {
      throw new TugError('NOT_FOUND', `unable to prepare context: path "${dir}" not found`, { hint: 'pass an existing directory as the build context' });
    }
    if (!rootStat.isDirectory()) {
      throw new TugError('INVALID_ARGUMENT', `unable to prepare context: "${dir}" is not a directory`, { hint: 'pass a directory, or - to read a tar or Dockerfile from stdin' });
    }
    let ignore = opts.ignore;
    if (!ignore) {
      let text = '';
      try {
        text = readFileSync(join(dir, '.dockerignore'), 'utf8');
      } catch {
        /* no .dockerignore */
      }
      ignore = IgnoreMatcher.parse(text);
    }
    const ctx = new BuildContext(dir, ignore, opts.cache ?? StatCache.load(undefined, dir));
    ctx.entries.set('', { rel: '', type: 'dir', mode: Number(rootStat.mode) & 0o7777, size: 0, stat: rootStat });
    ctx.walk('');
    return ctx;
  }

  private walk(dirRel: string): void {
    const abs = dirRel ? join(this.dir, dirRel) : this.dir;
    const names = readdirSync(abs).sort();
    const kept: string[] = [];
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const st = lstatSync(join(this.dir, rel), { bigint: true });
      const type = typeOf(st);
      const ignored = !this.ignore.empty && this.ignore.ignores(rel);
      if (ignored && !(type === 'dir' && this.ignore.mayIncludeBelow(rel))) continue;
      if (!ignored) {
        kept.push(name);
        this.entries.set(rel, { rel, type, mode: Number(st.mode) & 0o7777, size: Number(st.size), stat: st });
      }
      if (type === 'dir') {
        this.walk(rel);
        // an ignored directory with re-included content still appears as a parent
        if (ignored && this.children.get(rel)?.length) {
          kept.push(name);
          this.entries.set(rel, { rel, type, mode: Number(st.mode) & 0o7777, size: 0, stat: st });
        }
      }
    }
    this.children.set(dirRel, kept);
  }

  has(rel: string): boolean {
    return this.entries.has(rel);
  }

  entry(rel: string): ContextEntry | undefined {
    return this.entries.get(rel);
  }

  list(dirRel: string): string[] {
    return this.children.get(dirRel) ?? [];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Resolves a COPY/ADD source (relative to the context, may hold globs per
   * component) to the context paths it names. Throws NOT_FOUND when nothing matches.
   */
  match(source: string): string[] {
    const parts = source.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) {
      // sources are confined to the context, as docker's
      const norm: string[] = [];
      for (const p of parts) if (p === '..') norm.pop(); else norm.push(p);
      parts.splice(0, parts.length, ...norm);
    }
    let current = [''];
    for (const part of parts) {
      const next: string[] = [];
      const re = hasGlob(part) ? componentRegex(part) : undefined;
      for (const base of current) {
        if (re) {
          for (const name of this.list(base)) if (re.test(name)) next.push(base ? `${base}/${name}` : name);
        } else {
          const rel = base ? `${base}/${part}` : part;
          if (this.entries.has(rel)) next.push(rel);
        }
      }
      current = next;
    }
    if (current.length === 0) {
      throw new TugError('NOT_FOUND', `"${source}": not found in the build context`, {
        hint: 'check the path, and that .dockerignore does not exclude it',
      });
    }
    return current;
  }

  /** Content digest of one path: a file's header+bytes, a directory's sorted children. */
  digest(rel: string): string {
    const known = this.digests.get(rel);
    if (known) return known;
    const e = this.entries.get(rel);
    if (!e) throw new TugError('NOT_FOUND', `"${rel}": not found in the build context`);
    const h = createHash('sha256');
    if (e.type === 'dir') {
      h.update(`dir ${e.mode.toString(8)}\n`);
      for (const name of this.list(rel)) h.update(`${name}\0${this.digest(rel ? `${rel}/${name}` : name)}\n`);
    } else {
      const key = { ino: Number(e.stat.ino), size: e.size, mtimeNs: String(e.stat.mtimeNs), ctimeNs: String(e.stat.ctimeNs), mode: Number(e.stat.mode) };
      const cached = this.cache.lookup(rel, key);
      if (cached) {
        this.digests.set(rel, cached);
        return cached;
      }
      if (e.type === 'symlink') h.update(`symlink ${readlinkSync(join(this.dir, rel))}\n`);
      else if (e.type === 'file') {
        h.update(`file ${e.mode.toString(8)} ${e.size}\n`);
        hashFileInto(h, join(this.dir, rel));
      } else h.update(`other ${e.mode.toString(8)}\n`);
      const d = `sha256:${h.digest('hex')}`;
      this.cache.remember(rel, key, d);
      this.digests.set(rel, d);
      return d;
    }
    const d = `sha256:${h.digest('hex')}`;
    this.digests.set(rel, d);
    return d;
  }

  /** One digest over the named paths (order-independent), for a step's cache key. */
  checksum(rels: string[]): string {
    const h = createHash('sha256');
    for (const rel of [...new Set(rels)].sort()) h.update(`${rel}\0${this.digest(rel)}\n`);
    return `sha256:${h.digest('hex')}`;
  }

  /** Every included path at or below `rel` (for copying a directory source). */
  *walkFrom(rel: string): Generator<ContextEntry> {
    const e = this.entries.get(rel);
    if (!e) return;
    yield e;
    if (e.type === 'dir') for (const name of this.list(rel)) yield* this.walkFrom(rel ? `${rel}/${name}` : name);
  }

  /** Persists new stat-cache entries. */
  flush(): void {
    this.cache.flush();
  }
}

function hashFileInto(h: ReturnType<typeof createHash>, path: string): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
