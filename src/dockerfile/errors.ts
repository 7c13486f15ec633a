// The one error type the dockerfile module throws: a TugError with code
// 'SYNTAX' that knows where in the Dockerfile it happened and renders the
// offending line with a caret under the column.
import { TugError } from '../util/errors.js';

export interface SourceRange {
  /** 1-based first line of the instruction (continuations and heredocs included). */
  startLine: number;
  endLine: number;
}

export interface ErrorLocation {
  file: string;
  line: number; // 1-based; 0 when unknown
  column: number; // 1-based; 0 when unknown
  /** The offending source line, without its newline. */
  source?: string;
}

export class DockerfileError extends TugError {
  /** The bare reason, without location or snippet. */
  readonly reason: string;
  readonly location?: ErrorLocation;

  constructor(reason: string, opts: { hint?: string; location?: ErrorLocation } = {}) {
    super('SYNTAX', render(reason, opts.location), { hint: opts.hint });
    this.name = 'DockerfileError';
    this.reason = reason;
    this.location = opts.location;
  }

  /** The same error, now placed at a location (kept if it already has one). */
  at(location: ErrorLocation): DockerfileError {
    if (this.location && this.location.line > 0) return this;
    return new DockerfileError(this.reason, { hint: this.hint, location });
  }

  withPrefix(prefix: string): DockerfileError {
    return new DockerfileError(prefix + this.reason, { hint: this.hint, location: this.location });
  }
}

function render(reason: string, loc?: ErrorLocation): string {
  if (!loc) return reason;
  const where = loc.line > 0 ? `${loc.file}:${loc.line}${loc.column > 0 ? `:${loc.column}` : ''}` : loc.file;
  let s = `${where}: ${reason}`;
  if (loc.source !== undefined && loc.line > 0) {
    const num = String(loc.line);
    const pad = ' '.repeat(num.length);
    s += `\n ${num} | ${loc.source}`;
    if (loc.column > 0) s += `\n ${pad} | ${caretPad(loc.source, loc.column)}^`;
  }
  return s;
}

/** Spaces (tabs kept) so that a caret lines up under `column` of `source`. */
function caretPad(source: string, column: number): string {
  let out = '';
  for (let i = 0; i < column - 1 && i < source.length; i++) out += source[i] === '\t' ? '\t' : ' ';
  return out;
}

export function isDockerfileError(e: unknown): e is DockerfileError {
  return e instanceof DockerfileError;
}
