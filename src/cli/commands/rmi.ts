import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'rmi',
    usage: 'tug rmi [OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    flags: [
      { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
      { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
    ],
    minArgs: 1,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const { collectImageGarbage } = await import('../../image/gc.js');
    const svc = ImageService.open(ctx.root);
    let failed = 0;
    let deleted = false;
    const chains: string[] = [];
    // As docker: each image is tried; errors are reported and the exit code is 1 if any failed.
    for (const name of args.positionals) {
      try {
        const r = svc.remove(name, { force: flag.bool(args, 'force'), noPrune: flag.bool(args, 'no-prune') });
        for (const u of r.untagged) ctx.stdout.write(`Untagged: ${u}\n`);
        for (const d of r.deleted) ctx.stdout.write(`Deleted: ${d}\n`);
        deleted ||= r.deleted.length > 0;
        chains.push(...(r.chains ?? []));
      } catch (e) {
        if (!(e instanceof TugError)) throw e;
        failed++;
        ctx.stderr.write(`Error: ${e.message}\n`);
        if (e.hint) ctx.stderr.write(`Hint: ${e.hint}\n`);
      }
    }
    if (deleted) {
      const { nonImageRoots, nonImageSnapshots } = await import('./image-gc.js');
      const { releaseSnapshots } = await import('../../image/gc.js');
      await releaseSnapshots(svc, chains, nonImageSnapshots(svc.db));
      await collectImageGarbage(svc, nonImageRoots(svc.db));
    }
    return failed ? 1 : 0;
  },
};
export default command;
