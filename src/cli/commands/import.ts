import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError, errnoCode } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'import',
    usage: 'tug import [OPTIONS] file|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    flags: [
      { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' },
      { name: 'platform', type: 'string', description: 'Set platform (os/arch[/variant]) of the image' },
    ],
    minArgs: 1,
    maxArgs: 2,
  },
  async run(ctx, args) {
    const [source, ref] = args.positionals;
    if (/^https?:\/\//.test(source)) {
      throw new TugError('UNSUPPORTED', 'importing from a URL is not supported yet', { hint: 'download the tarball first, then: tug import FILE' });
    }
    let platform: { architecture: string; os: string; variant?: string } | undefined;
    const p = flag.str(args, 'platform');
    if (p) {
      const [os, architecture, variant] = p.split('/');
      if (!os || !architecture) throw new TugError('INVALID_ARGUMENT', `invalid platform "${p}"`, { hint: 'platforms look like linux/amd64 or linux/arm/v7' });
      platform = { os, architecture, ...(variant ? { variant } : {}) };
    }
    let input: NodeJS.ReadableStream;
    if (source === '-') input = ctx.stdin;
    else {
      try {
        const st = await stat(source);
        if (!st.isFile()) throw new TugError('INVALID_ARGUMENT', `${source} is not a file`, { hint: 'give a tarball (.tar or .tar.gz) or - for standard input' });
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') throw new TugError('NOT_FOUND', `open ${source}: no such file or directory`, { hint: 'check the path of the tarball, or use - to read it from standard input' });
        throw e;
      }
      input = createReadStream(source, { highWaterMark: 1 << 20 });
    }
    const { ImageService } = await import('../../image/service.js');
    const { importTarball } = await import('../../image/importer.js');
    const svc = ImageService.open(ctx.root);
    const img = await importTarball(svc, input as import('node:stream').Readable, {
      ref,
      changes: flag.list(args, 'change'),
      message: flag.str(args, 'message'),
      source,
      platform,
    });
    ctx.stdout.write(`${img.id}\n`);
    return 0;
  },
};
export default command;
