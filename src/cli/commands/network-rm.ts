import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'network rm', usage: 'tug network rm NETWORK [NETWORK...]', description: 'Remove one or more networks', minArgs: 1,
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  },
  async run(ctx, args) {
    const { removeNetwork } = await import('../../network/networks.js');
    const { isTugError } = await import('../../util/errors.js');
    let failed = false;
    for (const ref of args.positionals) {
      try {
        await removeNetwork(ctx.root, ref);
        ctx.stdout.write(`${ref}\n`);
      } catch (e) {
        if (isTugError(e, 'NOT_FOUND') && flag.bool(args, 'force')) continue;
        if (!isTugError(e) || args.positionals.length === 1) throw e;
        ctx.stderr.write(`Error: ${e.message}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
