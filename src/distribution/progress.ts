// Docker-style progress for pull and push, rendered from events: on a TTY one
// line per layer, redrawn in place with a bar; otherwise only status changes,
// one plain line each ("5cc84ad355aa: Pull complete"). The engine emits
// events and never prints.
import { humanSizeWithPrecision } from '../util/units.js';

export interface ProgressEvent {
  /** Short layer id (12 hex) or undefined for a free-standing line. */
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export type ProgressSink = (e: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};

/** Docker's HumanSize: decimal units, 4 significant digits ("2.155MB", "30.15kB"). */
export const humanSize = (n: number): string => humanSizeWithPrecision(n, 4);

export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = filled >= width ? '='.repeat(width) : '='.repeat(filled) + '>' + ' '.repeat(width - filled - 1);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

interface Writable {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** Renders events to a stream; call done() at the end to finish the TTY area. */
export function progressRenderer(out: Writable, tty = out.isTTY === true): { sink: ProgressSink; done(): void } {
  if (!tty) {
    const last = new Map<string, string>();
    return {
      sink: (e) => {
        if (e.id === undefined) {
          out.write(`${e.status}\n`);
          return;
        }
        if (last.get(e.id) === e.status) return;
        last.set(e.id, e.status);
        out.write(`${e.id}: ${e.status}\n`);
      },
      done: () => {},
    };
  }
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  let pending = false;
  let lastDraw = 0;
  // a pty without a size (script(1) under a pipe) reports 0 columns: do not cut lines then
  const cols = (): number => (out.columns && out.columns > 0 ? Math.max(20, out.columns - 1) : 200);
  const draw = (): void => {
    pending = false;
    lastDraw = Date.now();
    let s = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const id of order) s += `\r\x1b[2K${(lines.get(id) ?? '').slice(0, cols())}\n`;
    drawn = order.length;
    out.write(s);
  };
  return {
    sink: (e) => {
      if (e.id === undefined) {
        // a free line ends the current layer area; later layers start a new one below it
        if (pending) draw();
        out.write(`${e.status}\n`);
        order.length = 0;
        lines.clear();
        drawn = 0;
        return;
      }
      if (!lines.has(e.id)) order.push(e.id);
      const bar = e.current !== undefined && e.total ? ` ${progressBar(e.current, e.total)}` : '';
      lines.set(e.id, `${e.id}: ${e.status}${bar}`);
      // coalesce byte updates to ~10 redraws a second; status changes draw at once
      if (e.current !== undefined && Date.now() - lastDraw < 100) {
        if (!pending) {
          pending = true;
          setTimeout(draw, 100).unref();
        }
        return;
      }
      draw();
    },
    done: () => {
      if (order.length) draw();
    },
  };
}
