// COPY and ADD into a mounted rootfs with Docker's rules: a directory source
// copies its contents; several sources (or a wildcard) need a directory
// destination ending in "/"; relative destinations follow WORKDIR; missing
// parents are created; the destination resolves inside the rootfs even
// through the image's own symlinks. ADD also unpacks local archives and
// fetches http(s) URLs (checked against --checksum).
import { chmodSync, chownSync, copyFileSync, createReadStream, createWriteStream, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../../util/errors.js';
import { resolveDirInRoot } from '../../archive/paths.js';
import { applyLayer } from '../../archive/apply.js';
import { sniffCompression } from '../../archive/compression.js';
import type { InlineFile } from '../../dockerfile/instructions.js';
import type { BuildContext } from '../context/context.js';
import { IgnoreMatcher } from '../context/dockerignore.js';
import { componentRegex, hasGlob } from '../context/context.js';

export interface SourceStat {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

/** Where COPY reads from: the build context, or a mounted stage/image filesystem. */
export interface SourceTree {
  /** Paths (relative, slash-separated) a source pattern names; NOT_FOUND when none. */
  match(pattern: string): string[];
  stat(rel: string): SourceStat;
  list(rel: string): string[];
  abs(rel: string): string;
  /** Context files are owned by root in the image; stage files keep their owners. */
  keepOwners: boolean;
}

export function contextTree(ctx: BuildContext): SourceTree {
  return {
    match: (p) => ctx.match(p),
    stat: (rel) => {
      const e = ctx.entry(rel);
      if (!e) throw new TugError('NOT_FOUND', `"${rel}": not found in the build context`);
      return { type: e.type, mode: e.mode, uid: 0, gid: 0, mtimeMs: Number(e.stat.mtimeMs) };
    },
    list: (rel) => ctx.list(rel),
    abs: (rel) => join(ctx.dir, rel),
    keepOwners: false,
  };
}

/** A directory on disk (a mounted stage or image). Paths never leave it: symlinks are not followed. */
export function dirTree(dir: string, what: string): SourceTree {
  const abs = (rel: string): string => (rel ? join(dir, rel) : dir);
  const lst = (rel: string) => {
    try {
      return lstatSync(abs(rel));
    } catch {
      return undefined;
    }
  };
  return {
    match(pattern) {
      let current = [''];
      for (const part of pattern.split('/').filter((p) => p && p !== '.')) {
        const next: string[] = [];
        for (const base of current) {
          if (hasGlob(part)) {
            const re = componentRegex(part);
            const st = lst(base);
            if (!st?.isDirectory()) continue;
            for (const n of readdirSync(abs(base)).sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
          } else if (part === '..') next.push(base.split('/').slice(0, -1).join('/'));
          else {
            const rel = base ? `${base}/${part}` : part;
            if (lst(rel)) next.push(rel);
          }
        }
        current = next;
      }
      if (current.length === 0) throw new TugError('NOT_FOUND', `"${pattern}": not found in ${what}`, { hint: `check the path in ${what}` });
      return current;
    },
    stat(rel) {
      const st = lst(rel);
      if (!st) throw new TugError('NOT_FOUND', `"${rel}": not found in ${what}`);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
      return { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
    },
    list: (rel) => readdirSync(abs(rel)).sort(),
    abs,
    keepOwners: true,
  };
}

export interface CopyRequest {
  rootfs: string;
  /** Destination as written (after expansion); relative ones join workdir. */
  dest: string;
  workdir: string;
  sources: string[];
  inline: InlineFile[];
  tree: SourceTree;
  chown?: { uid: number; gid: number };
  chmod?: number;
  exclude: string[];
  parents: boolean;
  /** ADD: unpack local archives, fetch URLs. */
  add?: { checksum?: string; unpack?: boolean };
}

function destPath(workdir: string, dest: string): { comps: string[]; dirLike: boolean } {
  const dirLike = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  const full = dest.startsWith('/') ? dest : `${workdir || '/'}/${dest}`;
  const comps: string[] = [];
  for (const c of full.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') comps.pop();
    else comps.push(c);
  }
  return { comps, dirLike };
}

class Writer {
  constructor(private readonly req: CopyRequest) {}

  /** The real (inside-root) absolute path of comps' parent, created if missing; then the leaf name. */
  private place(comps: string[]): string {
    const parent = resolveDirInRoot(this.req.rootfs, comps.slice(0, -1), true, (rel) => this.owned(join(this.req.rootfs, rel)));
    return join(this.req.rootfs, parent ?? '', comps[comps.length - 1] ?? '');
  }

  private owned(abs: string): void {
    if (this.req.chown) chownSync(abs, this.req.chown.uid, this.req.chown.gid);
  }

  private meta(abs: string, st: SourceStat, isLink = false): void {
    const own = this.req.chown ?? (this.req.tree.keepOwners ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
    if (isLink) {
      lchownSync(abs, own.uid, own.gid);
      lutimesSync(abs, st.mtimeMs / 1000, st.mtimeMs / 1000);
      return;
    }
    chownSync(abs, own.uid, own.gid);
    chmodSync(abs, this.req.chmod ?? st.mode);
    utimesSync(abs, st.mtimeMs / 1000, st.mtimeMs / 1000);
  }

  /** Copies one source entry to the destination path (components inside the rootfs). */
  copy(rel: string, comps: string[], exclude: IgnoreMatcher | undefined, base: string): void {
    const { tree } = this.req;
    const st = tree.stat(rel);
    const target = this.place(comps);
    const existing = lstatSafe(target);
    if (st.type === 'dir') {
      if (existing && !existing.isDirectory()) rmSync(target, { recursive: true, force: true });
      if (!existing || !existing.isDirectory()) mkdirSync(target);
      for (const name of tree.list(rel)) {
        const childRel = rel ? `${rel}/${name}` : name;
        const within = base ? childRel.slice(base.length + 1) : childRel;
        if (exclude && exclude.ignores(within)) continue;
        this.copy(childRel, [...comps, name], exclude, base);
      }
      this.meta(target, st);
      return;
    }
    if (existing?.isDirectory()) rmSync(target, { recursive: true, force: true });
    else if (existing) unlinkSync(target);
    if (st.type === 'symlink') {
      symlinkSync(readlinkSync(tree.abs(rel)), target);
      this.meta(target, st, true);
    } else if (st.type === 'file') {
      copyFileSync(tree.abs(rel), target);
      this.meta(target, st);
    }
  }

  inline(file: InlineFile, comps: string[]): void {
    const target = this.place(comps);
    if (lstatSafe(target)?.isDirectory()) rmSync(target, { recursive: true, force: true });
    writeFileSync(target, file.data, { mode: 0o644 });
    chmodSync(target, this.req.chmod ?? 0o644);
    this.owned(target);
  }

  async url(url: string, comps: string[], checksum: string | undefined): Promise<void> {
    const target = this.place(comps);
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow' });
    } catch (e) {
      throw new TugError('NETWORK', `ADD ${url}: ${(e as Error).message}`, { hint: 'check the URL and that the build host can reach it' });
    }
    if (!res.ok || !res.body) throw new TugError('NOT_FOUND', `ADD ${url}: server answered ${res.status}`, { hint: 'check the URL' });
    const hash = createHash('sha256');
    const tmp = `${target}.tug-download`;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    body.on('data', (b: Buffer) => hash.update(b));
    await pipeline(body, createWriteStream(tmp, { mode: 0o600 }));
    const got = `sha256:${hash.digest('hex')}`;
    if (checksum && checksum !== got) {
      rmSync(tmp, { force: true });
      throw new TugError('DIGEST_MISMATCH', `ADD ${url}: checksum mismatch: expected ${checksum}, got ${got}`, { hint: 'update --checksum, or check the server' });
    }
    if (lstatSafe(target)) rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    chmodSync(target, this.req.chmod ?? 0o600);
    const lm = res.headers.get('last-modified');
    if (lm) utimesSync(target, new Date(lm), new Date(lm));
    this.owned(target);
  }
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

const URL_RE = /^https?:\/\//i;
const GIT_RE = /^(git@|git:\/\/|.*\.git(#.*)?$)/;

export function isUrl(s: string): boolean {
  return URL_RE.test(s);
}

/** Whether a local file is an archive ADD unpacks (tar, possibly compressed). */
async function isArchive(path: string): Promise<boolean> {
  const fd = await import('node:fs/promises').then((f) => f.open(path, 'r'));
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fd.read(head, 0, 512, 0);
    const kind = sniffCompression(head.subarray(0, bytesRead));
    if (kind !== 'none') return true;
    return bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await fd.close();
  }
}

export async function copyStep(req: CopyRequest): Promise<void> {
  const w = new Writer(req);
  const { comps: destComps, dirLike } = destPath(req.workdir, req.dest);
  const exclude = req.exclude.length ? new IgnoreMatcher(req.exclude) : undefined;
  const many = req.sources.length + req.inline.length > 1 || req.sources.some(hasGlob);
  const destIsDir = dirLike || lstatSafe(join(req.rootfs, ...destComps))?.isDirectory() === true;
  if (many && !dirLike) {
    throw new TugError('INVALID_ARGUMENT', `When using ${req.add ? 'ADD' : 'COPY'} with more than one source file, the destination must be a directory and end with a /`, {
      hint: `write the destination as ${req.dest}/`,
    });
  }
  for (const f of req.inline) w.inline(f, destIsDir ? [...destComps, f.name] : destComps);
  for (const src of req.sources) {
    if (req.add && isUrl(src)) {
      const name = basename(new URL(src).pathname) || 'index.html';
      await w.url(src, destIsDir ? [...destComps, name] : destComps, req.add.checksum);
      continue;
    }
    if (req.add && GIT_RE.test(src)) throw new TugError('UNSUPPORTED', `ADD of git repositories (${src}) is not supported yet`, { hint: 'clone in a RUN step, or copy a checkout from the context' });
    for (const rel of req.tree.match(src)) {
      const st = req.tree.stat(rel);
      if (exclude && exclude.ignores(basename(rel))) continue;
      const parentComps = req.parents ? parentsOf(src, rel) : [];
      if (st.type === 'dir') {
        // the directory's contents are copied, not the directory itself
        const into = [...destComps, ...parentComps, ...(req.parents ? [basename(rel)] : [])];
        const target = join(req.rootfs, resolveDirInRoot(req.rootfs, into, true) ?? '');
        for (const name of req.tree.list(rel)) {
          const child = rel ? `${rel}/${name}` : name;
          if (exclude && exclude.ignores(child.slice(rel ? rel.length + 1 : 0))) continue;
          w.copy(child, [...into, name], exclude, rel);
        }
        const m = req.tree.stat(rel);
        if (!(rel === '' && !req.parents)) chmodSync(target, req.chmod ?? m.mode);
        continue;
      }
      const fileComps = destIsDir || req.parents ? [...destComps, ...parentComps, basename(rel)] : destComps;
      if (req.add && req.add.unpack !== false && st.type === 'file' && (await isArchive(req.tree.abs(rel)))) {
        const into = resolveDirInRoot(req.rootfs, destComps, true) ?? '';
        await applyLayer(join(req.rootfs, into), createReadStream(req.tree.abs(rel)), { whiteouts: 'delete' });
        continue;
      }
      w.copy(rel, fileComps, undefined, rel);
    }
  }
}

/** --parents: the matched path's directories below the pattern's non-glob prefix (or a /./ pivot). */
function parentsOf(pattern: string, rel: string): string[] {
  const pivot = pattern.indexOf('/./');
  const dirs = rel.split('/').slice(0, -1);
  if (pivot >= 0) return dirs.slice(pattern.slice(0, pivot).split('/').filter(Boolean).length);
  return dirs;
}

