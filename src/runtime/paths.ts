// Where a container's files live. Persistent data (logs, generated /etc files,
// the rootfs mount point) sits under the state root; everything that dies with
// the host (bundle, conmon FIFOs and sockets, crun state, exit files) under the
// run root (tmpfs).
import { join } from 'node:path';

export interface RuntimePaths {
  root: string;
  runRoot: string;
}

export const paths = {
  ctrDir: (p: RuntimePaths, id: string): string => join(p.root, 'containers', id),
  rootfsMount: (p: RuntimePaths, id: string): string => join(p.root, 'containers', id, 'rootfs'),
  logFile: (p: RuntimePaths, id: string): string => join(p.root, 'containers', id, 'ctr.log'),
  /** Bundle + persist dir: config.json, pidfile, conmon.pid, exit, oom, attach, ctl. */
  bundle: (p: RuntimePaths, id: string): string => join(p.runRoot, 'ctr', id),
  exitDir: (p: RuntimePaths): string => join(p.runRoot, 'exits'),
  exitFile: (p: RuntimePaths, id: string): string => join(p.runRoot, 'exits', id),
  socketDir: (p: RuntimePaths): string => join(p.runRoot, 'socket'),
  attachSocket: (p: RuntimePaths, uuid: string): string => join(p.runRoot, 'socket', uuid, 'attach'),
  crunRoot: (p: RuntimePaths, runtime: string): string => join(p.runRoot, runtime),
  execDir: (p: RuntimePaths, id: string, execId: string): string => join(p.runRoot, 'exec', `${id.slice(0, 12)}-${execId.slice(0, 12)}`),
  tmp: (p: RuntimePaths): string => join(p.runRoot, 'tmp'),
  volumes: (p: RuntimePaths): string => join(p.root, 'volumes'),
  volumeData: (p: RuntimePaths, name: string): string => join(p.root, 'volumes', name, '_data'),
};

/** docker-init for --init: a static tini, bind-mounted at /sbin/docker-init. */
export const INIT_BIN = '/usr/bin/tini-static';
