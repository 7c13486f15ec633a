// The default seccomp profile: containers-common's seccomp.json (the same
// Docker-format profile podman loads), filtered for this architecture and the
// container's capabilities, and turned into the OCI spec's seccomp section.
// We read the host's file rather than shipping a copy of the profile.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { TugError } from '../util/errors.js';
import type { OciSeccomp } from './ocispec.js';

export const DEFAULT_SECCOMP_PATHS = ['/usr/share/containers/seccomp.json', '/etc/containers/seccomp.json'];

interface DockerSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  architectures?: string[];
  syscalls?: DockerSyscall[];
  flags?: string[];
}

const NODE_TO_GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: 'x86' };
const GO_TO_SCMP: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', x86: 'SCMP_ARCH_X86' };

function kernelAtLeast(min: string): boolean {
  const [a, b] = release().split('.').map((x) => parseInt(x, 10));
  const [c, d] = min.split('.').map((x) => parseInt(x, 10));
  return a > c || (a === c && b >= (d || 0));
}

export function loadProfileFile(path: string): DockerProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TugError('INVALID_ARGUMENT', `opening seccomp profile (${path}) failed: no such file`, { hint: 'give a path to a seccomp profile in JSON' });
  }
  try {
    const p = JSON.parse(text) as DockerProfile;
    if (typeof p.defaultAction !== 'string') throw new Error('no defaultAction');
    return p;
  } catch (e) {
    throw new TugError('INVALID_ARGUMENT', `decoding seccomp profile ${path} failed: ${(e as Error).message}`, { hint: 'the profile must be Docker-format JSON' });
  }
}

/** Converts a Docker-format profile for this host's architecture and the given capability set (CAP_ names). */
export function toOciSeccomp(profile: DockerProfile, caps: string[]): OciSeccomp {
  const goArch = NODE_TO_GO_ARCH[process.arch] ?? process.arch;
  const scmpArch = GO_TO_SCMP[goArch];
  const capSet = new Set(caps);
  let architectures = profile.architectures ?? [];
  const entry = profile.archMap?.find((m) => m.architecture === scmpArch);
  if (entry) architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  const syscalls: NonNullable<OciSeccomp['syscalls']> = [];
  for (const s of profile.syscalls ?? []) {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goArch)) continue;
    if (exc.arches?.length && exc.arches.includes(goArch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => capSet.has(c))) continue;
    if (exc.caps?.length && exc.caps.some((c) => capSet.has(c))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) continue;
    const names = s.names ?? (s.name ? [s.name] : []);
    if (!names.length) continue;
    const out: NonNullable<OciSeccomp['syscalls']>[number] = { names, action: s.action };
    if (s.errnoRet !== undefined) out.errnoRet = s.errnoRet;
    if (s.args?.length) out.args = s.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(out);
  }
  const result: OciSeccomp = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet !== undefined) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) result.flags = profile.flags;
  return result;
}

/** The default profile, or undefined (with a reason) when the host has none. */
export function defaultSeccomp(caps: string[]): OciSeccomp | undefined {
  const path = DEFAULT_SECCOMP_PATHS.find((p) => existsSync(p));
  return path ? toOciSeccomp(loadProfileFile(path), caps) : undefined;
}
