// Helpers for the image tests: a root with busybox imported, a listing of a
// state root to prove a failed command changed nothing, tar fixtures.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUSYBOX_TAR, tugOk, type TempRoot } from '../helpers.js';

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function importBusybox(root: string, name = 'busybox:latest'): Promise<string> {
  const r = await tugOk(['import', '--change', 'CMD ["sh"]', '--change', `ENV ${PATH_ENV}`, BUSYBOX_TAR, name], { root });
  return r.stdout.trim();
}

/**
 * Every path under the root with its size, except SQLite's own files (their
 * bytes change with any read-write open); the images' rows are compared
 * through `tug images` separately.
 */
export function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(root, p);
      const st = statSync(p);
      if (/^meta\.db/.test(rel)) continue;
      if (st.isDirectory()) {
        out.push(`${rel}/`);
        walk(p);
      } else out.push(`${rel} ${st.size}`);
    }
  };
  walk(root);
  return out;
}

/** Snapshot of a root: files + what tug lists (all images, with digests). */
export async function snapshot(root: string): Promise<{ files: string[]; images: string }> {
  const images = (await tugOk(['images', '-a', '--digests', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}}'], { root })).stdout;
  return { files: listing(root), images };
}

/** Writes a tar with Python's tarfile (an independent writer): members as [name, content] or hardlinks. */
export function pythonTar(path: string, members: Array<{ name: string; data?: string; linkTo?: string; dir?: boolean }>): void {
  const script = `
import io, json, sys, tarfile
members = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    for m in members:
        ti = tarfile.TarInfo(m['name'])
        if m.get('dir'):
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
        elif m.get('linkTo') is not None:
            ti.type = tarfile.LNKTYPE; ti.linkname = m['linkTo']; t.addfile(ti)
        else:
            data = m.get('data', '').encode()
            ti.size = len(data); ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
`;
  execFileSync('python3', ['-c', script, path, JSON.stringify(members)]);
}

/** A copy of a tar with one header byte changed (its checksum no longer matches). */
export function corruptTar(src: string, dst: string): void {
  const b = readFileSync(src);
  b[0] ^= 0x55; // first header's name
  writeFileSync(dst, b);
}

export function truncatedTar(src: string, dst: string, keep: number): void {
  writeFileSync(dst, readFileSync(src).subarray(0, keep));
}

export function cleanupAll(...roots: TempRoot[]): void {
  for (const r of roots) r.cleanup();
}
