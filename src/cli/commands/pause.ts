import type { Command } from '../command.js';
import { eachContainer } from './container-each.js';

const command: Command = {
  spec: { name: 'pause', usage: 'tug pause CONTAINER [CONTAINER...]', description: 'Pause all processes within one or more containers', minArgs: 1, flags: [] },
  async run(ctx, args) {
    const { pauseContainer } = await import('../../runtime/ops.js');
    return eachContainer(ctx, args.positionals, (svc, rec) => pauseContainer(svc, rec));
  },
};
export default command;
