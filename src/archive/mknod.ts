// Device nodes and fifos: Node has no mknod(2), so this runs mknod(1).
import { execFile } from 'node:child_process';

export function mknod(path: string, kind: 'char' | 'block' | 'fifo', mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), path, kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p'];
  if (kind !== 'fifo') args.push(String(major), String(minor));
  return new Promise((resolve, reject) => {
    execFile('mknod', args, (err, _out, stderr) => (err ? reject(new Error(`mknod ${path}: ${stderr.trim() || err.message}`)) : resolve()));
  });
}
