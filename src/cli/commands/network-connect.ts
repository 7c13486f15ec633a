import type { Command } from '../command.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'network connect', usage: 'tug network connect [OPTIONS] NETWORK CONTAINER', description: 'Connect a container to a network', minArgs: 2, maxArgs: 2,
    flags: [
      { name: 'alias', type: 'list', description: 'Add network-scoped alias for the container' },
      { name: 'ip', type: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
      { name: 'ip6', type: 'string', unsupported: true, description: 'IPv6 address' },
      { name: 'link', type: 'list', unsupported: true, description: 'Add link to another container' },
    ],
  },
  async run(ctx, args) {
    const { connect } = await import('../../network/connect.js');
    const [network, container] = args.positionals;
    // docker names a missing container before anything about networks
    const { findContainer } = await import('../../runtime/inspect.js');
    if (!findContainer(ctx.root, ctx.runRoot, container)) throw new TugError('NOT_FOUND', `No such container: ${container}`, { hint: "see 'tug ps -a' for the containers you have" });
    await connect({ root: ctx.root, runRoot: ctx.runRoot, network, container, aliases: flag.list(args, 'alias'), ip: flag.str(args, 'ip') });
    return 0;
  },
};
export default command;
