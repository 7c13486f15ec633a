// Cache keys. A step's key covers its parent's key, its own definition and
// the digests of everything it reads; it never covers secrets' contents or
// mtimes. Inputs are kept by name so `--explain` can say which one changed.
import { createHash } from 'node:crypto';

export interface StepInputs {
  /** The instruction as written, after build-time expansion (what the step does). */
  definition: string;
  /** Named input digests: "file:src/main.go", "arg:VERSION", "base", "stage:builder", "mount:cache:/root/.cache"... */
  inputs: Record<string, string>;
  /** Per-file digests behind `tree:` inputs: kept for --explain only, never part of the key. */
  files?: Record<string, string>;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as Record<string, unknown>).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonical(value)).digest('hex')}`;
}

export function stepKey(parentKey: string, step: StepInputs): string {
  return digestOf({ v: 1, parent: parentKey, definition: step.definition, inputs: step.inputs });
}
