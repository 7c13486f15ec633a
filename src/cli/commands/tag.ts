import type { Command } from '../command.js';

const command: Command = {
  spec: {
    name: 'tag',
    usage: 'tug tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    flags: [],
    minArgs: 2,
    maxArgs: 2,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const svc = ImageService.open(ctx.root);
    const [source, target] = args.positionals;
    svc.checkTagName(target);
    svc.tag(svc.resolve(source), target);
    return 0;
  },
};
export default command;
