// For verbs that act on several containers: do each, print its reference,
// report errors one line each, exit 1 if any failed (docker's behaviour).
import type { CliContext } from '../context.js';
import type { ContainerService } from '../../runtime/service.js';
import type { ContainerRecord } from '../../runtime/types.js';
import { printError } from '../report.js';

export async function eachContainer(ctx: CliContext, refs: string[], fn: (svc: ContainerService, rec: ContainerRecord) => Promise<void> | void): Promise<number> {
  const { ContainerService } = await import('../../runtime/service.js');
  const svc = ContainerService.open(ctx.root, ctx.runRoot);
  let failed = false;
  for (const ref of refs) {
    try {
      await fn(svc, await svc.get(ref));
      ctx.stdout.write(ref + '\n');
    } catch (e) {
      failed = true;
      printError(ctx.stderr, e);
    }
  }
  return failed ? 1 : 0;
}
