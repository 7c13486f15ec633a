import type { Command } from '../command.js';
import { flag } from '../args.js';
import { eachContainer } from './container-each.js';

const command: Command = {
  spec: {
    name: 'restart', usage: 'tug restart [OPTIONS] CONTAINER [CONTAINER...]', description: 'Restart one or more containers', minArgs: 1,
    flags: [{ name: 'time', short: 't', type: 'int', description: 'Seconds to wait before killing the container' }],
  },
  async run(ctx, args) {
    const { restartContainer } = await import('../../runtime/lifecycle.js');
    return eachContainer(ctx, args.positionals, (svc, rec) => restartContainer(svc, rec, flag.int(args, 'time')));
  },
};
export default command;
