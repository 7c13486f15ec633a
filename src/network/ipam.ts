// IP address management. netavark does none (it uses the addresses it is
// given and does not notice duplicates), so tug allocates here, inside the
// caller's write transaction; UNIQUE(network_id, ip) backs it up.
import type { Db } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { contains, formatIp, last, mustParseIp, parseCidr, parseIp } from './ipv4.js';
import { usedIps } from './store.js';
import type { NetworkRecord } from './types.js';

/** An address for a container on n: the requested one, or the next free one after the last handed out. Call inside writeTx. */
export function allocateIp(db: Db, n: NetworkRecord, requested?: string): string {
  const subnet = parseCidr(n.subnet);
  if (!subnet) throw new TugError('NETWORK', `network ${n.name} has no IPv4 subnet`);
  const used = usedIps(db, n.id);
  const gateway = mustParseIp(n.gateway);
  const reserved = (ip: number): boolean => ip === subnet.base || ip === last(subnet) || ip === gateway;
  if (requested) {
    const ip = mustParseIp(requested);
    if (!contains(subnet, ip) || reserved(ip)) {
      throw new TugError('INVALID_ARGUMENT', `no configured subnet or ip-range contain the IP address ${requested}`, {
        hint: `network ${n.name} is ${n.subnet}${n.ipRange ? ` (range ${n.ipRange})` : ''}, gateway ${n.gateway}`,
      });
    }
    if (used.has(requested)) throw new TugError('CONFLICT', `address ${requested} is already in use on network ${n.name}`);
    return requested;
  }
  const range = n.ipRange ? parseCidr(n.ipRange) ?? subnet : subnet;
  const cursorRow = db.prepare('SELECT ip_cursor FROM networks WHERE id = ?').get(n.id) as { ip_cursor: string } | undefined;
  const cursor = cursorRow?.ip_cursor ? parseIp(cursorRow.ip_cursor) : undefined;
  const count = last(range) - range.base + 1;
  const start = cursor !== undefined && contains(range, cursor) ? cursor + 1 - range.base : 0;
  for (let i = 0; i < count; i++) {
    const ip = range.base + ((start + i) % count);
    if (reserved(ip)) continue;
    const s = formatIp(ip);
    if (used.has(s)) continue;
    db.prepare('UPDATE networks SET ip_cursor = ? WHERE id = ?').run(s, n.id);
    return s;
  }
  throw new TugError('NETWORK', `no free IP address left on network ${n.name} (${n.ipRange || n.subnet})`, {
    hint: 'remove containers from it, or create a network with a larger --subnet',
  });
}

export function validMac(mac: string): string {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) {
    throw new TugError('INVALID_ARGUMENT', `invalid MAC address: ${mac}`, { hint: 'e.g. --mac-address 92:d0:c6:0a:29:33' });
  }
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new TugError('INVALID_ARGUMENT', `invalid MAC address: ${mac} is a multicast address`);
  return mac.toLowerCase();
}
