// Platform strings (os/arch[/variant]) and choosing a manifest from an index,
// with the defaults docker applies (arm64 means v8, arm means v7).
import type { Descriptor, Platform } from '../oci/types.js';
import { TugError } from '../util/errors.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', x64: 'amd64', aarch64: 'arm64', ia32: '386', i386: '386', armhf: 'arm', armel: 'arm' };

function normalizeArch(arch: string, variant?: string): { architecture: string; variant?: string } {
  const a = ARCH_ALIASES[arch] ?? arch;
  if (a === 'arm64') return { architecture: a, variant: variant === undefined || variant === 'v8' || variant === '8' ? undefined : variant };
  if (a === 'arm') return { architecture: a, variant: variant ?? 'v7' };
  if (a === 'amd64' && variant === 'v1') return { architecture: a };
  return { architecture: a, variant };
}

export function parsePlatform(s: string): PlatformSpec {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new TugError('INVALID_ARGUMENT', `invalid platform "${s}"`, { hint: 'use os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8' });
  }
  return { os: parts[0], ...normalizeArch(parts[1], parts[2]) };
}

export function hostPlatform(): PlatformSpec {
  return { os: 'linux', ...normalizeArch(process.arch) };
}

export function formatPlatform(p: PlatformSpec | Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export function platformMatches(want: PlatformSpec, have: Platform | undefined): boolean {
  if (!have) return false;
  const h = normalizeArch(have.architecture, have.variant);
  return have.os === want.os && h.architecture === want.architecture && (h.variant ?? '') === (want.variant ?? '');
}

/** The index entry for a platform; attestation manifests ("unknown/unknown") never match. */
export function selectManifest(manifests: Descriptor[], want: PlatformSpec, display: string): Descriptor {
  const found = manifests.find((d) => platformMatches(want, d.platform));
  if (found) return found;
  const have = manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown')).filter((p) => p !== 'unknown/unknown');
  throw new TugError('NOT_FOUND', `no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${display}`, {
    hint: have.length ? `available platforms: ${[...new Set(have)].join(', ')}; choose one with --platform` : 'the index lists no platforms',
  });
}
