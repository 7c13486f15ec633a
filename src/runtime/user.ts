// --user resolution against the image's own /etc/passwd and /etc/group, as
// docker does: "uid", "name", "uid:gid", "name:group"; supplementary groups
// from /etc/group plus --group-add.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** Reads ROOTFS/etc/FILE without following a symlink out of the rootfs. */
function readEtc(rootfs: string, file: string): string {
  const p = join(rootfs, 'etc', file);
  try {
    if (lstatSync(p).isSymbolicLink()) return '';
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' };
  }).filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) };
  }).filter((e) => Number.isInteger(e.gid));
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(rootfs: string, spec: string, groupAdd: string[] = []): ResolvedUser {
  const passwd = parsePasswd(readEtc(rootfs, 'passwd'));
  const groups = parseGroup(readEtc(rootfs, 'group'));
  const [userPart, groupPart] = (spec || '0').split(':', 2) as [string, string | undefined];
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNum(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((e) => e.uid === uid);
  } else {
    entry = passwd.find((e) => e.name === userPart);
    if (!entry) {
      throw new TugError('CANNOT_INVOKE', `unable to find user ${userPart}: no matching entries in passwd file`, {
        hint: 'use a user that exists in the image, or a numeric uid[:gid]', exitCode: 126,
      });
    }
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((e) => e.name === groupPart);
      if (!g) throw new TugError('CANNOT_INVOKE', `unable to find group ${groupPart}: no matching entries in group file`, { hint: 'use a group that exists in the image, or a numeric gid', exitCode: 126 });
      gid = g.gid;
    }
  }
  const extra = new Set<number>();
  // Supplementary groups come from /etc/group only when no group was forced (docker's rule).
  if (entry && groupPart === undefined) for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) extra.add(g.gid);
  for (const ga of groupAdd) {
    if (isNum(ga)) extra.add(Number(ga));
    else {
      const g = groups.find((e) => e.name === ga);
      if (!g) throw new TugError('INVALID_ARGUMENT', `unable to find group ${ga}: no matching entries in group file`, { hint: 'use a numeric gid with --group-add' });
      extra.add(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...extra], home: entry?.home ?? '/' };
}
