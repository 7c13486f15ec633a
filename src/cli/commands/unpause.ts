import type { Command } from '../command.js';
import { eachContainer } from './container-each.js';

const command: Command = {
  spec: { name: 'unpause', usage: 'tug unpause CONTAINER [CONTAINER...]', description: 'Unpause all processes within one or more containers', minArgs: 1, flags: [] },
  async run(ctx, args) {
    const { unpauseContainer } = await import('../../runtime/ops.js');
    return eachContainer(ctx, args.positionals, (svc, rec) => unpauseContainer(svc, rec));
  },
};
export default command;
