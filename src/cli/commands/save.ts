import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'save',
    usage: 'tug save [OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    flags: [
      { name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' },
      { name: 'format', type: 'string', description: 'Archive format: docker (docker-archive, default) or oci (OCI image layout)' },
    ],
    minArgs: 1,
  },
  async run(ctx, args) {
    const format = flag.str(args, 'format') ?? 'docker';
    if (format !== 'docker' && format !== 'oci' && format !== 'docker-archive' && format !== 'oci-archive') {
      throw new TugError('INVALID_ARGUMENT', `unknown archive format "${format}"`, { hint: 'use --format docker or --format oci' });
    }
    const output = flag.str(args, 'output');
    if (!output && ctx.stdout.isTTY) {
      throw new TugError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', { hint: 'tug save -o image.tar IMAGE, or tug save IMAGE > image.tar' });
    }
    const { ImageService } = await import('../../image/service.js');
    const { saveArchive, selectForSave } = await import('../../image/archive-save.js');
    const svc = ImageService.open(ctx.root);
    const items = selectForSave(svc, args.positionals);
    const src = Readable.from(saveArchive(svc, items, format.startsWith('oci') ? 'oci' : 'docker'), { objectMode: false, highWaterMark: 1 << 20 });
    if (!output) {
      await pipeline(src, ctx.stdout, { end: false });
      return 0;
    }
    // Written beside the target and renamed: a failed save never leaves half an archive under the name.
    const tmp = `${output}.tug-${process.pid}.tmp`;
    try {
      await pipeline(src, createWriteStream(tmp, { highWaterMark: 1 << 20 }));
      await rename(tmp, output);
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'EACCES')) {
        throw new TugError('INVALID_ARGUMENT', `cannot write ${output}: ${e.message}`, { hint: 'check that the directory exists and is writable' });
      }
      throw e;
    }
    return 0;
  },
};
export default command;
