// Reading conmon's k8s-file logs back with docker's `logs` semantics:
// `<RFC3339Nano> <stdout|stderr> <F|P> <bytes>`; P lines are joined up to the next F.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { TugError } from '../util/errors.js';

export interface LogEntry {
  /** RFC 3339 with nanoseconds, in UTC ("…Z"). */
  time: string;
  ms: number;
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface LogOptions {
  follow: boolean;
  tail?: number; // undefined = all
  sinceMs?: number;
  untilMs?: number;
  timestamps: boolean;
}

/** docker's --since/--until: RFC 3339 (date or date-time), a unix timestamp, or a duration ago ("10m", "1h30m"). */
export function parseTimeArg(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(v);
  if (dur && v !== '') {
    const [, h, m, s, ms] = dur;
    return now - ((Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0));
  }
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return t;
  throw new TugError('INVALID_ARGUMENT', `invalid value for "since"/"until": ${v}`, { hint: 'use RFC 3339 (2024-01-02T15:04:05Z), a unix timestamp, or a relative duration such as 10m' });
}

/** "2026-11-26T07:18:27.070360745+00:00" → UTC "…Z" keeping the nanoseconds. */
function toUtc(ts: string): { time: string; ms: number } {
  const ms = Date.parse(ts);
  const m = /\.(\d+)/.exec(ts);
  const frac = (m ? m[1] : '').padEnd(9, '0').slice(0, 9);
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  return { time: `${iso}.${frac}Z`, ms };
}

/** Parses whole lines from a buffer; returns entries and the number of bytes consumed. */
export function parseLines(buf: Buffer, partial: Map<string, Buffer[]>): { entries: LogEntry[]; used: number } {
  const entries: LogEntry[] = [];
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const line = buf.subarray(pos, nl);
    pos = nl + 1;
    const s1 = line.indexOf(32);
    const s2 = line.indexOf(32, s1 + 1);
    const s3 = line.indexOf(32, s2 + 1);
    if (s1 < 0 || s2 < 0) continue;
    const ts = line.subarray(0, s1).toString();
    const stream = line.subarray(s1 + 1, s2).toString() as 'stdout' | 'stderr';
    const tag = s3 < 0 ? line.subarray(s2 + 1).toString() : line.subarray(s2 + 1, s3).toString();
    const data = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
    if (tag.startsWith('P')) {
      const parts = partial.get(stream) ?? [];
      parts.push(Buffer.from(data));
      partial.set(stream, parts);
      continue;
    }
    const parts = partial.get(stream) ?? [];
    partial.delete(stream);
    const { time, ms } = toUtc(ts);
    entries.push({ time, ms, stream, data: Buffer.concat([...parts, data, Buffer.from('\n')]) });
  }
  return { entries, used: pos };
}

export interface LogSink {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function emit(e: LogEntry, o: LogOptions, sink: LogSink): void {
  if (o.sinceMs !== undefined && e.ms < o.sinceMs) return;
  if (o.untilMs !== undefined && e.ms > o.untilMs) return;
  const out = e.stream === 'stderr' ? sink.stderr : sink.stdout;
  out.write(o.timestamps ? Buffer.concat([Buffer.from(e.time + ' '), e.data]) : e.data);
}

function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = statSync(path).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Prints the log; with follow, keeps going until isRunning() turns false. */
export async function printLogs(path: string, o: LogOptions, sink: LogSink, isRunning: () => Promise<boolean>): Promise<void> {
  const partial = new Map<string, Buffer[]>();
  let offset = 0;
  const first = readFrom(path, 0);
  const { entries, used } = parseLines(first, partial);
  offset = used;
  const shown = o.tail === undefined || o.tail < 0 ? entries : o.tail === 0 ? [] : entries.slice(-o.tail);
  for (const e of shown) emit(e, o, sink);
  if (!o.follow) return;
  let ino = statSafe(path)?.ino;
  for (;;) {
    const running = await isRunning();
    const st = statSafe(path);
    if (st && (st.ino !== ino || st.size < offset)) {
      // conmon replaced/truncated the file (--log-size-max): start over
      ino = st.ino;
      offset = 0;
      partial.clear();
    }
    const more = readFrom(path, offset);
    if (more.length) {
      const r = parseLines(more, partial);
      offset += r.used;
      for (const e of r.entries) emit(e, o, sink);
    }
    if (!running) return;
    if (o.untilMs !== undefined && Date.now() > o.untilMs) return;
    await new Promise((r) => setTimeout(r, more.length ? 10 : 100));
  }
}

function statSafe(p: string): { ino: number; size: number } | undefined {
  try {
    const s = statSync(p);
    return { ino: s.ino, size: s.size };
  } catch {
    return undefined;
  }
}
