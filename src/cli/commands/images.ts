import { flag } from '../args.js';
import type { Command } from '../command.js';
import { formatRows } from '../format.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'images',
    usage: 'tug images [OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
      { name: 'digests', type: 'bool', description: 'Show digests' },
      { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided (dangling=true|false, reference=NAME)' },
      { name: 'format', type: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
      { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    ],
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const { imageRows, IMAGE_HEADERS } = await import('../../image/listing.js');
    const { parseRef } = await import('../../image/refs.js');
    const svc = ImageService.open(ctx.root);
    let reference: { repository: string; tag?: string } | undefined;
    if (args.positionals[0]) {
      const r = parseRef(args.positionals[0]);
      reference = { repository: r.repository, tag: r.tag };
    }
    let dangling: boolean | undefined;
    for (const f of flag.list(args, 'filter')) {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k === 'dangling' && (v === 'true' || v === 'false')) dangling = v === 'true';
      else if (k === 'reference') {
        const r = parseRef(v);
        reference = { repository: r.repository, tag: r.tag };
      } else throw new TugError('INVALID_ARGUMENT', `invalid filter '${f}'`, { hint: 'supported filters: dangling=true|false, reference=REPOSITORY[:TAG]' });
    }
    const noTrunc = flag.bool(args, 'no-trunc');
    const digests = flag.bool(args, 'digests');
    const rows = imageRows(svc.list(), svc.records.hasChildren(), { all: flag.bool(args, 'all'), digests, noTrunc, reference, dangling });
    let format = flag.str(args, 'format');
    if (flag.bool(args, 'quiet')) format = '{{.ID}}';
    if (!format || format === 'table') {
      format = digests
        ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    }
    ctx.stdout.write(formatRows(format, rows, { headers: IMAGE_HEADERS }));
    return 0;
  },
};
export default command;
