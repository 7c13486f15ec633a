// `--explain`: for a cache miss, name what changed since the last build of
// the same target — an instruction, a file, a build arg, the base image.
import type { RunStep } from './cache.js';
import type { StepInputs } from './cachekey.js';

function describeInput(name: string): string {
  const colon = name.indexOf(':');
  const kind = colon < 0 ? name : name.slice(0, colon);
  const what = colon < 0 ? '' : name.slice(colon + 1);
  switch (kind) {
    case 'file':
      return `file ${what}`;
    case 'arg':
      return `build arg ${what}`;
    case 'env':
      return `environment variable ${what}`;
    case 'base':
      return 'base image digest';
    case 'stage':
      return `stage ${what}`;
    case 'secret':
      return `secret ${what} (its id, never its content)`;
    default:
      return name;
  }
}

/**
 * Why a step missed the cache, compared with the step at the same position
 * in the previous run. `parentMissed` means an earlier step already changed.
 */
export function explainMiss(step: StepInputs, stage: string, index: number, previous: RunStep[] | undefined, parentMissed: boolean, files?: () => Record<string, string>): string {
  if (!previous) return 'no previous build of this target';
  const old = previous.find((p) => p.stage === stage && p.index === index);
  if (!old) return 'new step (not in the previous build)';
  if (old.step.definition !== step.definition) return `instruction changed (was: ${old.step.definition})`;
  const changed: string[] = [];
  const names = new Set([...Object.keys(step.inputs), ...Object.keys(old.step.inputs)]);
  for (const name of [...names].sort()) {
    const now = step.inputs[name];
    const then = old.step.inputs[name];
    if (now === then) continue;
    if (then === undefined) changed.push(`${describeInput(name)} added`);
    else if (now === undefined) changed.push(`${describeInput(name)} removed`);
    else changed.push(`${describeInput(name)} changed`);
  }
  // a directory's tree digest changes whenever a file in it does: name the files, not the tree
  if (changed.some((c) => c.startsWith('tree:')) && old.step.files && files) {
    const now = files();
    const then = old.step.files;
    const fileChanges: string[] = [];
    for (const f of [...new Set([...Object.keys(now), ...Object.keys(then)])].sort()) {
      if (now[f] === then[f]) continue;
      fileChanges.push(`file ${f} ${then[f] === undefined ? 'added' : now[f] === undefined ? 'removed' : 'changed'}`);
    }
    if (fileChanges.length) changed.splice(0, changed.length, ...changed.filter((c) => !c.startsWith('tree:')), ...fileChanges);
  }
  if (changed.length) {
    const shown = changed.slice(0, 5).join(', ');
    return changed.length > 5 ? `${shown} and ${changed.length - 5} more` : shown;
  }
  if (parentMissed) return 'a previous step was rebuilt';
  return 'cache record missing (pruned, or built on another root)';
}
