// The network module's tables. networks: one row per network. sandboxes: one
// row per attached container (its netns, published ports, generated files).
// endpoints: one row per (container, network) with its address; UNIQUE
// (network_id, ip) makes a duplicate allocation impossible even if two
// processes raced past the IPAM check.
import type { MigrationSet } from '../meta/db.js';

export const networkMigrations: MigrationSet = {
  module: 'network',
  steps: [
    `CREATE TABLE networks (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL UNIQUE,
       driver TEXT NOT NULL,
       bridge TEXT NOT NULL,
       subnet TEXT NOT NULL,
       gateway TEXT NOT NULL,
       ip_range TEXT NOT NULL DEFAULT '',
       internal INTEGER NOT NULL DEFAULT 0,
       dns_enabled INTEGER NOT NULL DEFAULT 0,
       labels TEXT NOT NULL DEFAULT '{}',
       options TEXT NOT NULL DEFAULT '{}',
       created TEXT NOT NULL,
       builtin INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE net_sandboxes (
       container_id TEXT PRIMARY KEY,
       container_name TEXT NOT NULL,
       mode TEXT NOT NULL,
       netns_path TEXT NOT NULL DEFAULT '',
       ports TEXT NOT NULL DEFAULT '[]',
       etc_hosts TEXT NOT NULL DEFAULT '',
       resolv_conf TEXT NOT NULL DEFAULT '',
       created TEXT NOT NULL
     );
     CREATE TABLE net_endpoints (
       container_id TEXT NOT NULL REFERENCES net_sandboxes(container_id) ON DELETE CASCADE,
       network_id TEXT NOT NULL REFERENCES networks(id),
       endpoint_id TEXT NOT NULL,
       ip TEXT NOT NULL,
       mac TEXT NOT NULL DEFAULT '',
       aliases TEXT NOT NULL DEFAULT '[]',
       ifname TEXT NOT NULL,
       opts TEXT NOT NULL,
       ready INTEGER NOT NULL DEFAULT 0,
       PRIMARY KEY (container_id, network_id),
       UNIQUE (network_id, ip)
     );
     CREATE INDEX net_endpoints_network ON net_endpoints(network_id);`,
    // IPAM hands addresses out round robin (as docker does): an address freed
    // a moment ago would meet stale ARP entries in its neighbours.
    `ALTER TABLE networks ADD COLUMN ip_cursor TEXT NOT NULL DEFAULT ''`,
  ],
};
