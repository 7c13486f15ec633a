import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'network create', usage: 'tug network create [OPTIONS] NETWORK', description: 'Create a network', minArgs: 1, maxArgs: 1,
    flags: [
      { name: 'driver', short: 'd', type: 'string', description: 'Driver to manage the Network (bridge)' },
      { name: 'subnet', type: 'list', description: 'Subnet in CIDR format that represents a network segment' },
      { name: 'gateway', type: 'list', description: 'IPv4 Gateway for the master subnet' },
      { name: 'ip-range', type: 'list', description: 'Allocate container ip from a sub-range' },
      { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
      { name: 'label', type: 'list', description: 'Set metadata on a network' },
      { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options (mtu)' },
      { name: 'ipv6', type: 'bool', unsupported: true, description: 'Enable IPv6 networking' },
      { name: 'attachable', type: 'bool', description: 'Accepted for compatibility (every tug network is attachable)' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const { createNetwork } = await import('../../network/networks.js');
    const one = (name: string): string | undefined => {
      const v = flag.list(args, name);
      if (v.length > 1) throw new TugError('UNSUPPORTED', `more than one --${name} is not supported yet`, { hint: 'tug networks have one IPv4 subnet' });
      return v[0];
    };
    const kv = (items: string[]): Record<string, string> =>
      Object.fromEntries(items.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
    const options = kv(flag.list(args, 'opt'));
    for (const k of Object.keys(options)) {
      if (k !== 'mtu' && k !== 'com.docker.network.driver.mtu') throw new TugError('UNSUPPORTED', `network option ${k} is not supported`, { hint: 'supported: -o mtu=N' });
    }
    const mtu = options.mtu ?? options['com.docker.network.driver.mtu'];
    if (mtu !== undefined && !/^\d+$/.test(mtu)) throw new TugError('INVALID_ARGUMENT', `invalid mtu: ${mtu}`);
    const n = createNetwork(ctx.root, {
      name: args.positionals[0], driver: flag.str(args, 'driver'), subnet: one('subnet'), gateway: one('gateway'), ipRange: one('ip-range'),
      internal: flag.bool(args, 'internal'), labels: kv(flag.list(args, 'label')), options: mtu ? { mtu } : {},
    });
    ctx.stdout.write(`${n.id}\n`);
    return 0;
  },
};
export default command;
