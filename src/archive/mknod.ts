// Device nodes and fifos: Node has no mknod(2), so this runs mknod(1); runs
// of nodes (a /dev directory, a layer's whiteouts) go through one sh(1) so
// node forks once per batch, not once per node.
import { execFile } from 'node:child_process';

export interface NodeSpec {
  path: string;
  kind: 'char' | 'block' | 'fifo';
  mode: number;
  major: number;
  minor: number;
}

const LOOP = 'while [ $# -gt 0 ]; do if [ "$3" = p ]; then mknod -m "$1" "$2" p; else mknod -m "$1" "$2" "$3" "$4" "$5"; fi || exit 1; shift 5; done';

export function mknodAll(nodes: readonly NodeSpec[]): Promise<void> {
  const args: string[] = [];
  for (const n of nodes) {
    args.push((n.mode & 0o7777).toString(8), n.path, n.kind === 'char' ? 'c' : n.kind === 'block' ? 'b' : 'p', String(n.major), String(n.minor));
  }
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', LOOP, 'sh', ...args], (err, _out, stderr) => (err ? reject(new Error(`mknod: ${String(stderr).trim() || err.message}`)) : resolve()));
  });
}

export function mknod(path: string, kind: NodeSpec['kind'], mode: number, major = 0, minor = 0): Promise<void> {
  return mknodAll([{ path, kind, mode, major, minor }]);
}
