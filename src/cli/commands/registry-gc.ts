import { resolve } from 'node:path';
import { flag } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  spec: {
    name: 'registry gc',
    usage: 'tug registry gc [OPTIONS]',
    description:
      'Remove blobs that no repository, image or build still uses. Safe while\n' +
      '`tug registry serve` is running and pushes are under way: blobs younger than\n' +
      '--grace and blobs of open uploads are kept.',
    flags: [
      { name: 'root', type: 'string', description: 'state root (default: the global --root)' },
      { name: 'dry-run', short: 'n', type: 'bool', description: 'only report what would be removed' },
      { name: 'grace', type: 'string', default: '1h', description: 'keep unreferenced blobs and links younger than this' },
      { name: 'delete-untagged', type: 'bool', description: 'also remove manifests that no tag or index names' },
    ],
    maxArgs: 0,
  },
  async run(ctx, args) {
    const { runRegistryGc } = await import('../../registry/gc.js');
    const { openDb } = await import('../../meta/db.js');
    const { registryMigrations } = await import('../../registry/schema.js');
    const { otherModuleRoots } = await import('./registry-roots.js');
    const { parseDuration } = await import('../../registry/duration.js');
    const root = flag.str(args, 'root') ? resolve(flag.str(args, 'root') as string) : ctx.root;
    const db = openDb(root, [registryMigrations]);
    const r = await runRegistryGc({
      root,
      db,
      otherRoots: otherModuleRoots(db),
      graceMs: parseDuration(flag.str(args, 'grace') as string, 'grace'),
      dryRun: flag.bool(args, 'dry-run'),
      deleteUntagged: flag.bool(args, 'delete-untagged'),
    });
    const verb = flag.bool(args, 'dry-run') ? 'would remove' : 'removed';
    if (r.untagged) ctx.stdout.write(`${verb} ${r.untagged} untagged manifests\n`);
    ctx.stdout.write(`${verb} ${r.unlinked} repository links, ${r.deleted.length} blobs (${r.bytes} bytes), ${r.ingests} stale ingests\n`);
    return 0;
  },
};
export default command;
