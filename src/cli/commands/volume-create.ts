import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'volume create', usage: 'tug volume create [OPTIONS] [VOLUME]', description: 'Create a volume', maxArgs: 1,
    flags: [
      { name: 'driver', short: 'd', type: 'string', description: 'Specify volume driver name (local)' },
      { name: 'label', type: 'list', description: 'Set metadata for a volume' },
      { name: 'name', type: 'string', description: 'Specify volume name' },
      { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options', unsupported: true },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const driver = flag.str(args, 'driver');
    if (driver && driver !== 'local') throw new TugError('UNSUPPORTED', `volume driver "${driver}" is not supported yet`, { hint: 'only the local driver exists' });
    const labels: Record<string, string> = {};
    for (const l of flag.list(args, 'label')) {
      const eq = l.indexOf('=');
      labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
    }
    const { ContainerService } = await import('../../runtime/service.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const v = svc.volumes.create(args.positionals[0] ?? flag.str(args, 'name'), labels);
    ctx.stdout.write(v.name + '\n');
    return 0;
  },
};
export default command;
