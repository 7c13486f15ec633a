// Named network namespaces under /run/netns (iproute2's place, on tmpfs, so
// a reboot can never leave a netns behind without its firewall rules).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * A Linux bridge takes the lowest MAC of its ports unless one was set, so a
 * container leaving or joining can change the gateway's MAC under everyone
 * else's ARP cache (measured: the next lookup hung ~20 s). netavark 1.4 does
 * not pin it; we set the bridge's current MAC explicitly once, which freezes it.
 */
export async function pinBridgeMac(bridge: string): Promise<void> {
  const dir = `/sys/class/net/${bridge}`;
  let type: string;
  let mac: string;
  try {
    type = readFileSync(`${dir}/addr_assign_type`, 'utf8').trim();
    mac = readFileSync(`${dir}/address`, 'utf8').trim();
  } catch {
    return; // no bridge (yet)
  }
  if (type === '3') return; // NET_ADDR_SET: already pinned
  await ip(['link', 'set', 'dev', bridge, 'address', mac]);
}
