// Generated /etc/hosts, /etc/hostname and /etc/resolv.conf, bind-mounted
// into the container from its directory (as docker does).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciMount } from './ocispec.js';
import type { ContainerRecord } from './types.js';
import type { NetworkAttachment } from './network.js';

const BASE_HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

export function writeEtcFiles(rec: ContainerRecord, dir: string, net: NetworkAttachment): OciMount[] {
  let hosts: string;
  if (net.etcHosts !== undefined) {
    hosts = net.etcHosts; // written by the network module (addresses, links, --add-host)
  } else if (rec.config.network === 'host') {
    try {
      hosts = readFileSync('/etc/hosts', 'utf8');
    } catch {
      hosts = BASE_HOSTS;
    }
  } else {
    hosts = BASE_HOSTS + net.hostsEntries.map((l) => l + '\n').join('');
    for (const ip of Object.values(net.ipAddresses)) hosts += `${ip}\t${rec.config.hostname}\n`;
  }
  const hostname = rec.config.network === 'host' ? readHostHostname() : rec.config.hostname;
  writeFileSync(join(dir, 'hosts'), hosts);
  writeFileSync(join(dir, 'hostname'), hostname + '\n');
  writeFileSync(join(dir, 'resolv.conf'), net.resolvConf);
  const bind = (name: string): OciMount => ({
    destination: `/etc/${name}`, type: 'bind', source: join(dir, name),
    options: ['rbind', 'rprivate', 'rw'],
  });
  return [bind('hosts'), bind('hostname'), bind('resolv.conf')];
}

function readHostHostname(): string {
  try {
    return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}
