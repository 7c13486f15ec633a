import { flag } from '../args.js';
import type { Command } from '../command.js';
import { formatRows } from '../format.js';

const command: Command = {
  spec: {
    name: 'history',
    usage: 'tug history [OPTIONS] IMAGE',
    description: 'Show the history of an image',
    flags: [
      { name: 'format', type: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
      { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format (default true)' },
      { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const { imageHistory, HISTORY_HEADERS } = await import('../../image/inspect.js');
    const svc = ImageService.open(ctx.root);
    const img = svc.resolve(args.positionals[0]);
    const rows = await imageHistory(svc, img, { noTrunc: flag.bool(args, 'no-trunc'), human: args.flags.get('human') !== false });
    let format = flag.str(args, 'format');
    if (flag.bool(args, 'quiet')) format = '{{.ID}}';
    if (!format || format === 'table') format = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    ctx.stdout.write(formatRows(format, rows, { headers: HISTORY_HEADERS }));
    return 0;
  },
};
export default command;
