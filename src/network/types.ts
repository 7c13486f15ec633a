// Public types of the network module: what the runtime and the CLI pass in
// and get back. All JSON-serialisable, so the runtime can keep a request in
// its container config and replay it at every start.

export type Protocol = 'tcp' | 'udp' | 'sctp';

/** One published port (or a contiguous range of `range` ports). hostIp "" = every host address. */
export interface PortMapping {
  hostIp: string;
  hostPort: number; // 0 = pick a free one at attach
  /** Set when the user gave a host range for one container port: any free port in [hostPort, hostPortEnd]. */
  hostPortEnd?: number;
  containerPort: number;
  protocol: Protocol;
  range: number;
}

export interface NetworkRecord {
  id: string; // 64 hex
  name: string;
  driver: 'bridge' | 'host' | 'null';
  /** Linux bridge name ("" for host/none). */
  bridge: string;
  subnet: string; // "10.90.0.0/24", "" for host/none
  gateway: string;
  ipRange: string; // "" = the whole subnet
  internal: boolean;
  dnsEnabled: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string; // RFC 3339
  /** bridge/host/none: created by tug, cannot be removed. */
  builtin: boolean;
}

/** A container's membership of one network. */
export interface EndpointRecord {
  containerId: string;
  networkId: string;
  networkName: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  aliases: string[];
  ifname: string;
  endpointId: string;
}

/** One network to join, as in `--network NAME --network-alias A --ip X --mac-address M`. */
export interface NetworkJoin {
  name: string;
  aliases?: string[];
  ip?: string;
  mac?: string;
}

/** `--link name[:alias]`, resolved by the runtime to the linked container's record. */
export interface LinkRequest {
  alias: string;
  containerId: string;
  containerName: string;
  hostname: string;
  /** The linked container's configured environment (KEY=VALUE). */
  env: string[];
  /** Its exposed ports, "5432/tcp". */
  exposedPorts: string[];
}

export type NetworkMode =
  | { kind: 'bridge'; networks: NetworkJoin[] } // the default "bridge" network or user-defined ones
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; containerId: string };

export interface AttachOptions {
  root: string;
  runRoot: string;
  containerId: string;
  containerName: string;
  hostname: string;
  mode: NetworkMode;
  ports?: PortMapping[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--add-host` values: "name:ip", "name=ip" or "name:host-gateway". */
  addHosts?: string[];
  links?: LinkRequest[];
}

export interface AttachResult {
  /** Path of the network namespace to join; undefined for host (share the host's) and none (a fresh private one). */
  netnsPath?: string;
  /** true: use the host's network namespace (no netns entry in the OCI spec). */
  hostNetwork: boolean;
  etcHosts: string;
  resolvConf: string;
  /** Legacy link variables to add to the container's environment. */
  env: string[];
  endpoints: EndpointRecord[];
  /** The published ports with the host ports actually chosen. */
  ports: PortMapping[];
}

export interface NetworkCreateOptions {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/**
 * What `run`/`create` record about networking beyond the mode, kept in the
 * container's config and replayed at every start.
 */
export interface ContainerNetOptions {
  /** Networks to join (bridge mode); [] = the default "bridge" network. */
  networks: NetworkJoin[];
  ports: PortMapping[];
  /** -P: publish every exposed port on a random host port. */
  publishAll: boolean;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  addHosts: string[];
  links: Array<{ name: string; alias: string }>;
}
