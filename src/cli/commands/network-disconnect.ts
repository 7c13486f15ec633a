import type { Command } from '../command.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'network disconnect', usage: 'tug network disconnect [OPTIONS] NETWORK CONTAINER', description: 'Disconnect a container from a network', minArgs: 2, maxArgs: 2,
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  },
  async run(ctx, args) {
    const { disconnect } = await import('../../network/connect.js');
    const [network, container] = args.positionals;
    // docker names a missing container before anything about networks
    const { findContainer } = await import('../../runtime/inspect.js');
    if (!findContainer(ctx.root, ctx.runRoot, container)) throw new TugError('NOT_FOUND', `No such container: ${container}`, { hint: "see 'tug ps -a' for the containers you have" });
    await disconnect({ root: ctx.root, runRoot: ctx.runRoot, network, container, force: flag.bool(args, 'force') });
    return 0;
  },
};
export default command;
