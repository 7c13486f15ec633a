import { flag } from '../args.js';
import type { Command } from '../command.js';
import { formatRows } from '../format.js';

const command: Command = {
  spec: {
    name: 'system df',
    usage: 'tug system df [OPTIONS]',
    description: 'Show tug disk usage',
    flags: [
      { name: 'format', type: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
      { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage', unsupported: true },
    ],
    maxArgs: 0,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const { diskUsage, DF_HEADERS } = await import('../../image/df.js');
    const svc = ImageService.open(ctx.root);
    let format = flag.str(args, 'format');
    if (!format || format === 'table') format = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
    ctx.stdout.write(formatRows(format, diskUsage(svc), { headers: DF_HEADERS }));
    return 0;
  },
};
export default command;
