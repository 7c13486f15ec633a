// A client for conmon's attach socket (SOCK_SEQPACKET, which Node's `net`
// cannot open; node-unix-socket can). Packets from conmon are one stream byte
// (2 = stdout, 3 = stderr) followed by data; bytes we send go to stdin.
import { openSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { withCheapLibcProbeSync } from './native.js';

export interface AttachIo {
  stdout: NodeJS.WritableStream | null;
  stderr: NodeJS.WritableStream | null;
  /** Forwarded to the container when given; its end closes the container's stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Put a TTY stdin into raw mode and forward window-size changes to BUNDLE/ctl. */
  tty?: { ctlPath: string; out: NodeJS.WriteStream; in: NodeJS.ReadStream };
  /** Detach key sequence (bytes); empty disables. */
  detachKeys?: Buffer;
}

export type AttachEnd = 'eof' | 'detached';

interface SeqSocket {
  on(ev: 'data', cb: (b: Buffer) => void): void;
  on(ev: 'end' | 'close', cb: () => void): void;
  on(ev: 'error', cb: (e: Error) => void): void;
  connect(path: string, cb?: () => void): void;
  write(b: Buffer, off?: number, len?: number, cb?: () => void): void;
  end(cb?: () => void): void;
  destroy(): void;
}

let SeqpacketSocketCtor: (new () => SeqSocket) | undefined;
/** Loads the addon now (call it while waiting on something else, e.g. conmon). */
export function preloadAttach(): void {
  seqpacket();
}

function seqpacket(): new () => SeqSocket {
  // Loaded lazily: only attaching verbs pay for the native addon.
  if (!SeqpacketSocketCtor) {
    const require = createRequire(import.meta.url);
    SeqpacketSocketCtor = withCheapLibcProbeSync(() => (require('node-unix-socket') as { SeqpacketSocket: new () => SeqSocket }).SeqpacketSocket);
  }
  return SeqpacketSocketCtor;
}

/** Parses docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-@", letters. */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const p = part.trim().toLowerCase();
    if (p.length === 1) out.push(p.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(p)) {
      const c = p[5];
      out.push(c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : '@[\\]^_'.indexOf(c));
    } else throw new Error(`invalid detach key: ${part}`);
  }
  return Buffer.from(out);
}

export function resize(ctlPath: string, rows: number, cols: number): void {
  try {
    const fd = openSync(ctlPath, 'w');
    writeSync(fd, `1 ${rows} ${cols}\n`);
    closeSync(fd);
  } catch {
    /* conmon gone */
  }
}

/** Connects to an attach socket; resolves once connected, returning a promise of the end. */
export function attach(socketPath: string, io: AttachIo): Promise<{ done: Promise<AttachEnd>; socket: SeqSocket }> {
  const Ctor = seqpacket();
  const s = new Ctor();
  return new Promise((resolveConnected, rejectConnected) => {
    let connected = false;
    let finish: (e: AttachEnd) => void = () => {};
    const done = new Promise<AttachEnd>((r) => (finish = r));
    let ended = false;
    const cleanups: Array<() => void> = [];
    const end = (how: AttachEnd): void => {
      if (ended) return;
      ended = true;
      for (const c of cleanups) c();
      try {
        s.destroy();
      } catch { /* closed */ }
      finish(how);
    };
    s.on('error', (e) => {
      if (!connected) rejectConnected(e);
      else end('eof');
    });
    s.on('data', (b: Buffer) => {
      const stream = b[0] === 3 ? io.stderr : b[0] === 2 ? io.stdout : null;
      if (stream && b.length > 1) stream.write(b.subarray(1));
    });
    s.on('end', () => end('eof'));
    s.on('close', () => end('eof'));
    s.connect(socketPath, () => {
      connected = true;
      if (io.tty) {
        const { out, in: tin, ctlPath } = io.tty;
        if (tin.isTTY) {
          tin.setRawMode(true);
          cleanups.push(() => tin.setRawMode(false));
        }
        if (out.isTTY) {
          const onResize = (): void => resize(ctlPath, out.rows, out.columns);
          out.on('resize', onResize);
          process.on('SIGWINCH', onResize);
          cleanups.push(() => {
            out.off('resize', onResize);
            process.off('SIGWINCH', onResize);
          });
        }
      }
      if (io.stdin) {
        const input = io.stdin;
        const keys = io.detachKeys ?? Buffer.alloc(0);
        let matched = 0;
        const onData = (chunk: Buffer | string): void => {
          let b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          if (keys.length) {
            // Hold back a possible prefix of the detach sequence until it is decided.
            const held = keys.subarray(0, matched);
            b = Buffer.concat([held, b]);
            let out = Buffer.alloc(0);
            let i = 0;
            matched = 0;
            for (; i < b.length; i++) {
              if (b[i] === keys[matched]) {
                matched++;
                if (matched === keys.length) {
                  end('detached');
                  return;
                }
              } else {
                out = Buffer.concat([out, b.subarray(i - matched, i + 1)]);
                matched = b[i] === keys[0] ? 1 : 0;
                if (matched) out = out.subarray(0, out.length - 1);
              }
            }
            b = out;
          }
          // conmon reads stdin packets of at most 8 KiB
          for (let o = 0; o < b.length && !ended; o += 8192) s.write(b.subarray(o, o + 8192));
        };
        const onEnd = (): void => {
          if (!ended) s.end();
        };
        input.on('data', onData);
        input.on('end', onEnd);
        cleanups.push(() => {
          input.off('data', onData);
          input.off('end', onEnd);
          (input as NodeJS.ReadStream).pause?.();
        });
      }
      resolveConnected({ done, socket: s });
    });
  });
}

export const attachSocketPath = (socketDir: string, uuid: string): string => join(socketDir, uuid, 'attach');
