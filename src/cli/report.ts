// How errors reach the user: a TugError is one line plus its hint; anything
// else is a bug in tug and is printed with its stack.
import { TugError } from '../util/errors.js';

export function printError(stderr: NodeJS.WritableStream, e: unknown): void {
  if (e instanceof TugError) {
    stderr.write(`Error: ${e.message}\n`);
    if (e.hint) stderr.write(`Hint: ${e.hint}\n`);
  } else {
    stderr.write(`tug: internal error (this is a bug): ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }
}
