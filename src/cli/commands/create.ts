import type { Command } from '../command.js';
import { createFlags, toCreateRequest } from './container-opts.js';

const command: Command = {
  spec: { name: 'create', usage: 'tug create [OPTIONS] IMAGE [COMMAND] [ARG...]', description: 'Create a new container', flags: createFlags, stopAtFirstPositional: true },
  failExitCode: 125,
  async run(ctx, args) {
    const req = toCreateRequest(args, args.positionals, 'create');
    const { ContainerService } = await import('../../runtime/service.js');
    const { createContainer } = await import('../../runtime/create.js');
    const rec = await createContainer(ContainerService.open(ctx.root, ctx.runRoot), req);
    const cidfile = typeof args.flags.get('cidfile') === 'string' ? String(args.flags.get('cidfile')) : undefined;
    if (cidfile) (await import('node:fs')).writeFileSync(cidfile, rec.id);
    ctx.stdout.write(rec.id + '\n');
    return 0;
  },
};
export default command;
