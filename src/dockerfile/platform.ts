// Platforms as os/arch[/variant] and the automatic platform build args
// (BUILDPLATFORM, TARGETPLATFORM, TARGETOS, …) BuildKit defines.
import { DockerfileError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Record<string, [string, string?]> = {
  x64: ['amd64'], arm64: ['arm64'], arm: ['arm', 'v7'], ia32: ['386'], ppc64: ['ppc64le'], s390x: ['s390x'],
  riscv64: ['riscv64'], mips64el: ['mips64le'], loong64: ['loong64'],
};

/** The platform this process runs on (linux/amd64 on x64). */
export function hostPlatform(): Platform {
  const [architecture, variant] = NODE_ARCH[process.arch] ?? [process.arch];
  return { os: process.platform === 'win32' ? 'windows' : process.platform, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`;
}

const ARCH_ALIASES: Record<string, [string, string?]> = {
  x86_64: ['amd64'], 'x86-64': ['amd64'], aarch64: ['arm64'], armhf: ['arm', 'v7'], armel: ['arm', 'v6'], i386: ['386'],
};

/** Parses "linux/amd64", "linux/arm/v7", "linux/arm64/v8"; normalises common aliases. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9_.-]+$/.test(p))) {
    throw new DockerfileError(`invalid platform "${s}"`, { hint: 'platforms look like linux/amd64 or linux/arm/v7' });
  }
  const [os] = parts;
  let arch = parts[1];
  let variant: string | undefined = parts[2];
  const alias = ARCH_ALIASES[arch];
  if (alias) {
    arch = alias[0];
    variant = variant ?? alias[1];
  }
  if (arch === 'arm64' && variant === 'v8') variant = undefined;
  return { os, architecture: arch, variant };
}

/** The automatic args for a build platform and a target platform. */
export function platformArgs(build: Platform, target: Platform): Map<string, string> {
  return new Map([
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
  ]);
}

export const PLATFORM_ARG_NAMES: ReadonlySet<string> = new Set([
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT', 'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
]);
