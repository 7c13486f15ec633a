import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'version', usage: 'tug version', description: 'Show the tug version information', flags: [], maxArgs: 0 },
  async run(ctx) {
    ctx.stdout.write(`tug version 0.1.0\nnode ${process.version}\nstate root ${ctx.root}\n`);
    return 0;
  },
};
export default command;
