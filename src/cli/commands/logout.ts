import type { Command } from '../command.js';

const command: Command = {
  spec: {
    name: 'logout',
    usage: 'tug logout [SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is Docker Hub.',
    flags: [],
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { logout } = await import('../../distribution/login.js');
    const r = await logout(args.positionals[0], ctx.env);
    ctx.stdout.write(r.removed ? `Removing login credentials for ${r.key}\n` : `Not logged in to ${r.key}\n`);
    return 0;
  },
};
export default command;
