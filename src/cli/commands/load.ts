import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError, errnoCode } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'load',
    usage: 'tug load [OPTIONS]',
    description: 'Load an image from a tar archive (docker-archive or OCI archive) or STDIN',
    flags: [
      { name: 'input', short: 'i', type: 'string', description: 'Read from tar archive file, instead of STDIN' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
    ],
    maxArgs: 0,
  },
  async run(ctx, args) {
    const input = flag.str(args, 'input');
    let src: Readable;
    if (input && input !== '-') {
      try {
        if (!(await stat(input)).isFile()) throw new TugError('INVALID_ARGUMENT', `${input} is not a file`, { hint: 'give the archive written by save' });
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') throw new TugError('NOT_FOUND', `open ${input}: no such file or directory`, { hint: 'check the path of the archive, or pipe it to standard input' });
        throw e;
      }
      src = createReadStream(input, { highWaterMark: 1 << 20 });
    } else {
      if (ctx.stdin.isTTY) {
        throw new TugError('INVALID_ARGUMENT', 'requested load from stdin, but stdin is empty', { hint: 'tug load -i image.tar, or tug load < image.tar' });
      }
      src = ctx.stdin as unknown as Readable;
    }
    const { ImageService } = await import('../../image/service.js');
    const { loadArchive } = await import('../../image/archive-load.js');
    const svc = ImageService.open(ctx.root);
    const loaded = await loadArchive(svc, src);
    if (!flag.bool(args, 'quiet')) {
      for (const l of loaded) {
        for (const [name, prev] of l.renamed) ctx.stdout.write(`The image ${name} already exists, renaming the old one with ID ${prev} to empty string\n`);
        if (l.names.length) for (const n of l.names) ctx.stdout.write(`Loaded image: ${n}\n`);
        else ctx.stdout.write(`Loaded image ID: ${l.image.id}\n`);
      }
    }
    return 0;
  },
};
export default command;
