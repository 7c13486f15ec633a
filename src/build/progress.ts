// Build progress as one stream of events, rendered BuildKit-style. The solver
// only emits events; renderers decide how they look (plain lines, a live TTY
// view, or nothing).

export type ProgressEvent =
  | { kind: 'start'; id: number; name: string; at: number }
  | { kind: 'log'; id: number; stream: 'stdout' | 'stderr'; data: Buffer | string; at: number }
  | { kind: 'status'; id: number; text: string; at: number }
  | { kind: 'cached'; id: number; at: number }
  | { kind: 'done'; id: number; at: number; error?: string }
  | { kind: 'note'; text: string; at: number };

export interface ProgressSink {
  emit(e: ProgressEvent): void;
  close(): void;
}

/** Allocates vertex numbers and stamps times, in front of a sink. */
export class Progress {
  private next = 1;
  constructor(private readonly sink: ProgressSink) {}

  start(name: string): Vertex {
    const id = this.next++;
    this.sink.emit({ kind: 'start', id, name, at: Date.now() });
    return new Vertex(id, this.sink);
  }

  note(text: string): void {
    this.sink.emit({ kind: 'note', text, at: Date.now() });
  }

  close(): void {
    this.sink.close();
  }
}

export class Vertex {
  private finished = false;
  constructor(readonly id: number, private readonly sink: ProgressSink) {}
  log(stream: 'stdout' | 'stderr', data: Buffer | string): void {
    this.sink.emit({ kind: 'log', id: this.id, stream, data, at: Date.now() });
  }
  status(text: string): void {
    this.sink.emit({ kind: 'status', id: this.id, text, at: Date.now() });
  }
  cached(): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.emit({ kind: 'cached', id: this.id, at: Date.now() });
  }
  done(error?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.emit({ kind: 'done', id: this.id, at: Date.now(), error });
  }
}

interface VertexState {
  name: string;
  started: number;
  partial: string; // a log line not yet ended by a newline
  ended?: string;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** `--progress=plain`: one line per event, `#N` prefixed, as BuildKit prints. */
export class PlainRenderer implements ProgressSink {
  private readonly vertices = new Map<number, VertexState>();
  private last = 0;
  constructor(private readonly out: NodeJS.WritableStream) {}

  private header(id: number): void {
    if (this.last !== id && this.last !== 0) this.out.write('\n');
    this.last = id;
  }

  emit(e: ProgressEvent): void {
    if (e.kind === 'note') {
      this.out.write(`${this.last ? '\n' : ''}${e.text}\n`);
      this.last = 0;
      return;
    }
    const v = this.vertices.get(e.id);
    switch (e.kind) {
      case 'start':
        this.vertices.set(e.id, { name: e.name, started: e.at, partial: '' });
        this.header(e.id);
        this.out.write(`#${e.id} ${e.name}\n`);
        break;
      case 'log': {
        if (!v) return;
        const text = v.partial + e.data.toString();
        const lines = text.split('\n');
        v.partial = lines.pop() ?? '';
        for (const line of lines) {
          this.header(e.id);
          this.out.write(`#${e.id} ${secs(e.at - v.started).replace('s', '').padStart(5)} ${line}\n`);
        }
        break;
      }
      case 'status':
        this.header(e.id);
        this.out.write(`#${e.id} ${e.text}\n`);
        break;
      case 'cached':
        this.header(e.id);
        this.out.write(`#${e.id} CACHED\n`);
        break;
      case 'done':
        if (!v) return;
        if (v.partial) {
          this.header(e.id);
          this.out.write(`#${e.id} ${secs(e.at - v.started).replace('s', '').padStart(5)} ${v.partial}\n`);
          v.partial = '';
        }
        this.header(e.id);
        this.out.write(e.error ? `#${e.id} ERROR: ${e.error}\n` : `#${e.id} DONE ${secs(e.at - v.started)}\n`);
        break;
    }
  }

  close(): void {
    if (this.last) this.out.write('\n');
  }
}

/** `--progress=tty`: a live block of steps redrawn in place, the last lines of running steps under them. */
export class TtyRenderer implements ProgressSink {
  private readonly vertices = new Map<number, VertexState & { tail: string[]; cached?: boolean; error?: string }>();
  private drawnLines = 0;
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(private readonly out: NodeJS.WriteStream) {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  emit(e: ProgressEvent): void {
    if (e.kind === 'note') {
      this.clear();
      this.out.write(`${e.text}\n`);
      this.draw();
      return;
    }
    const v = this.vertices.get(e.id);
    if (e.kind === 'start') this.vertices.set(e.id, { name: e.name, started: e.at, partial: '', tail: [] });
    else if (!v) return;
    else if (e.kind === 'log' || e.kind === 'status') {
      const lines = (e.kind === 'log' ? v.partial + e.data.toString() : `${e.text}\n`).split('\n');
      v.partial = e.kind === 'log' ? lines.pop() ?? '' : '';
      v.tail.push(...lines.filter((l) => l !== ''));
      if (v.tail.length > 6) v.tail.splice(0, v.tail.length - 6);
    } else if (e.kind === 'cached') {
      v.cached = true;
      v.ended = secs(e.at - v.started);
    } else if (e.kind === 'done') {
      v.ended = e.error ? 'ERROR' : secs(e.at - v.started);
      v.error = e.error;
    }
  }

  private clear(): void {
    if (this.drawnLines) this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const width = this.out.columns || 100;
    const fit = (s: string): string => (s.length > width - 1 ? `${s.slice(0, width - 2)}…` : s);
    const lines = [`[+] Building ${secs(Date.now() - this.startedAt)}`];
    for (const [id, v] of this.vertices) {
      const right = v.ended ?? secs(Date.now() - v.started);
      lines.push(fit(` => ${v.cached ? 'CACHED ' : ''}#${id} ${v.name}`.padEnd(Math.max(0, width - right.length - 2)) + right));
      if (!v.ended || v.error) for (const t of v.tail) lines.push(fit(` => => ${t}`));
    }
    this.clear();
    this.out.write(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }
}

export class QuietRenderer implements ProgressSink {
  emit(): void {}
  close(): void {}
}

export function renderer(mode: string, out: NodeJS.WriteStream): ProgressSink {
  if (mode === 'quiet') return new QuietRenderer();
  if (mode === 'plain' || (mode === 'auto' && !out.isTTY)) return new PlainRenderer(out);
  return new TtyRenderer(out);
}
