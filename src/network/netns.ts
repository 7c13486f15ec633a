// Named network namespaces under /run/netns (iproute2's place, on tmpfs, so
// a reboot can never leave a netns behind without its firewall rules).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TugError } from '../util/errors.js';

export const NETNS_DIR = '/run/netns';

export const netnsName = (containerId: string): string => `tug-${containerId.slice(0, 16)}`;
export const netnsPath = (containerId: string): string => `${NETNS_DIR}/${netnsName(containerId)}`;

function ip(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', args, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });
}

export async function createNetns(containerId: string): Promise<string> {
  const path = netnsPath(containerId);
  if (existsSync(path)) return path;
  const r = await ip(['netns', 'add', netnsName(containerId)]);
  if (r.code !== 0 && !existsSync(path)) {
    throw new TugError('NETWORK', `cannot create network namespace ${netnsName(containerId)}: ${r.stderr.trim()}`, { hint: 'tug needs root (CAP_SYS_ADMIN) for container networks' });
  }
  return path;
}

/** Idempotent: a missing netns is fine. */
export async function deleteNetns(containerId: string): Promise<void> {
  if (!existsSync(netnsPath(containerId))) return;
  const r = await ip(['netns', 'del', netnsName(containerId)]);
  if (r.code !== 0 && existsSync(netnsPath(containerId))) {
    throw new TugError('NETWORK', `cannot delete network namespace ${netnsName(containerId)}: ${r.stderr.trim()}`);
  }
}
