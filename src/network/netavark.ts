// Driving netavark (and, through it, aardvark-dns) as Podman does: one exec
// per setup/teardown, the options JSON on stdin, status JSON on stdout. Calls
// are serialised host-wide with flock(1): netavark creates bridges and
// iptables chains on first use, and two at once can trip over each other.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';
import { HOST_STATE_DIR } from './subnets.js';
import type { NetworkRecord, PortMapping } from './types.js';

const CANDIDATES = {
  netavark: ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark', '/usr/local/libexec/podman/netavark', '/usr/bin/netavark'],
  'aardvark-dns': ['/usr/lib/podman/aardvark-dns', '/usr/libexec/podman/aardvark-dns', '/usr/local/libexec/podman/aardvark-dns', '/usr/bin/aardvark-dns'],
};

function findBinary(name: keyof typeof CANDIDATES, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  for (const p of fromEnv ? [fromEnv] : CANDIDATES[name]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export interface Backend {
  netavark: string;
  aardvark: string;
}

let cached: Backend | undefined;

/** The netavark backend, or a clear error saying why it cannot load. */
export function backend(): Backend {
  if (cached) return cached;
  const netavark = findBinary('netavark', 'TUG_NETAVARK');
  if (!netavark) {
    throw new TugError('NETWORK', 'the netavark network backend is not installed', {
      hint: 'apt-get install netavark aardvark-dns (or set TUG_NETAVARK to its path); --network none|host works without it',
    });
  }
  const aardvark = findBinary('aardvark-dns', 'TUG_AARDVARK');
  if (!aardvark) {
    // Without it netavark silently skips DNS yet still advertises it: refuse instead.
    throw new TugError('NETWORK', 'aardvark-dns is not installed, so user-defined networks cannot resolve container names', {
      hint: 'apt-get install aardvark-dns (or set TUG_AARDVARK to its path)',
    });
  }
  cached = { netavark, aardvark };
  return cached;
}

// ---- the options JSON (netavark src/network/types.rs, v1.4)

export interface NetavarkOptions {
  container_id: string;
  container_name: string;
  port_mappings?: Array<{ host_ip: string; host_port: number; container_port: number; protocol: string; range: number }>;
  networks: Record<string, { interface_name: string; static_ips: string[]; aliases: string[]; static_mac?: string }>;
  network_info: Record<string, NetavarkNetwork>;
  dns_servers?: string[];
}

export interface NetavarkNetwork {
  name: string;
  id: string;
  driver: string;
  network_interface: string;
  subnets: Array<{ subnet: string; gateway: string }>;
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  options?: Record<string, string>;
  ipam_options: { driver: string };
}

export function netavarkNetwork(n: NetworkRecord): NetavarkNetwork {
  return {
    name: n.name,
    id: n.id,
    driver: 'bridge',
    network_interface: n.bridge,
    subnets: [{ subnet: n.subnet, gateway: n.gateway }],
    ipv6_enabled: false,
    internal: n.internal,
    dns_enabled: n.dnsEnabled,
    ...(n.options.mtu ? { options: { mtu: n.options.mtu } } : {}),
    ipam_options: { driver: 'host-local' },
  };
}

export function netavarkPorts(ports: PortMapping[]): NetavarkOptions['port_mappings'] {
  return ports.map((p) => ({ host_ip: p.hostIp, host_port: p.hostPort, container_port: p.containerPort, protocol: p.protocol, range: p.range }));
}

export interface NetavarkStatus {
  [network: string]: {
    dns_search_domains?: string[];
    dns_server_ips?: string[];
    interfaces?: Record<string, { mac_address: string; subnets?: Array<{ ipnet: string; gateway?: string }> }>;
  };
}

function run(args: string[], input: string, configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const b = backend();
  mkdirSync(HOST_STATE_DIR, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  // -o: the lock fd must not leak into aardvark-dns, which netavark may start and which outlives it
  const argv = ['-o', join(HOST_STATE_DIR, 'netavark.lock'), b.netavark, '--config', configDir, '--rootless', 'false', '--aardvark-binary', b.aardvark, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('flock', argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

function failure(op: string, r: { code: number; stdout: string; stderr: string }): TugError {
  let msg = r.stdout.trim() || r.stderr.trim() || `exit code ${r.code}`;
  try {
    const j = JSON.parse(r.stdout) as { error?: string };
    if (j.error) msg = j.error;
  } catch {
    /* not JSON */
  }
  return new TugError('NETWORK', `netavark ${op} failed: ${msg}`);
}

export async function netavarkSetup(configDir: string, netnsPath: string, opts: string): Promise<NetavarkStatus> {
  const r = await run(['setup', netnsPath], opts, configDir);
  if (r.code !== 0) throw failure('setup', r);
  return JSON.parse(r.stdout) as NetavarkStatus;
}

export async function netavarkTeardown(configDir: string, netnsPath: string, opts: string): Promise<void> {
  const r = await run(['teardown', netnsPath], opts, configDir);
  if (r.code !== 0) throw failure('teardown', r);
}
