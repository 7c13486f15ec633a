// The seam to the network module. The runtime asks for a container's network
// before it writes the spec and releases it on cleanup; today it handles the
// modes it can do alone (none, host, and the default private namespace with
// loopback only). Bridge networks plug in here: attachNetworks returns the
// namespace path to join plus what goes into /etc/hosts and resolv.conf.
import { readFileSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import type { ContainerRecord, NetworkMode } from './types.js';

export interface NetworkAttachment {
  /** A network namespace to join (bind-mounted nsfs path); undefined = a fresh one (or the host's for host mode). */
  netnsPath?: string;
  /** Extra /etc/hosts lines ("10.0.0.2 web web.alias"). */
  hostsEntries: string[];
  /** resolv.conf content for the container. */
  resolvConf: string;
  /** The container's addresses, for inspect. */
  ipAddresses: Record<string, string>;
}

export function parseNetworkMode(value: string | undefined): NetworkMode {
  if (value === undefined || value === 'default' || value === 'private') return 'private';
  if (value === 'none' || value === 'host') return value;
  throw new TugError('UNSUPPORTED', `network mode "${value}" is not supported yet`, {
    hint: 'use --network none or --network host (bridge networks are coming with the network module)',
  });
}

export function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Sets up networking for a start. Must be undone with detachNetworks, also on failure. */
export async function attachNetworks(rec: ContainerRecord): Promise<NetworkAttachment> {
  const mode = rec.config.network;
  if (mode === 'host' || mode === 'none' || mode === 'private') {
    // docker writes the host's resolv.conf for none too
    return { hostsEntries: [], resolvConf: hostResolvConf(), ipAddresses: {} };
  }
  throw new TugError('UNSUPPORTED', `network "${mode.bridge}" is not supported yet`, { hint: 'use --network none or --network host' });
}

/** Releases what attachNetworks made (idempotent: cleanup may run twice). */
export async function detachNetworks(_rec: ContainerRecord): Promise<void> {
  // nothing to release for none/host/private
}
