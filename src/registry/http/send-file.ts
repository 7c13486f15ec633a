// Sends bytes [start, end] of an open file as a response body with a few
// buffers per download, reused: a buffer is refilled only after the socket
// has taken the bytes written from it. Streams would allocate a fresh buffer
// per chunk and leave the garbage collector to return them, which with many
// concurrent multi-megabyte downloads shows up as resident memory (W6).
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

// Four buffers per download. A download gets 512 KiB buffers while a shared
// 8 MiB budget lasts, else 64 KiB ones: a few big downloads go in large
// chunks (a single stream is bound by per-chunk work on the one JS thread),
// many at once stay small (W6: 80 layer downloads, ~27 MiB of buffers).
const NBUF = 4;
const SMALL = 64 * 1024;
const LARGE = 512 * 1024;
const BUDGET = 8 * 1024 * 1024;
let budgetInUse = 0;

export async function sendFile(fh: FileHandle, res: ServerResponse, start: number, end: number): Promise<void> {
  let closed = false;
  let onClose: () => void = () => {};
  const gone = new Promise<never>((_, reject) => {
    onClose = () => {
      closed = true;
      reject(new Error('client closed the connection'));
    };
  });
  gone.catch(() => {});
  res.once('close', onClose);
  const size = end - start + 1;
  const large = size > 4 * SMALL && budgetInUse + NBUF * LARGE <= BUDGET;
  const granted = large ? NBUF * LARGE : 0;
  budgetInUse += granted;
  const chunk = Math.max(1, Math.min(large ? LARGE : SMALL, size));
  const nbuf = Math.min(NBUF, Math.max(1, Math.ceil(size / chunk)));
  const bufs = Array.from({ length: nbuf }, () => Buffer.allocUnsafeSlow(chunk));
  const inflight: Array<Promise<void> | undefined> = bufs.map(() => undefined);
  try {
    let pos = start;
    let k = 0;
    while (pos <= end) {
      if (inflight[k]) await Promise.race([inflight[k], gone]);
      if (closed) throw new Error('client closed the connection');
      const buf = bufs[k];
      // A synchronous read: blobs being served sit in the page cache, where a
      // read is a memcpy of microseconds, while an async read is a round trip
      // through libuv's thread pool per chunk, which on a busy machine costs
      // more than the copy (measured: 2-3x slower single downloads).
      const bytesRead = readSync(fh.fd, buf, 0, Math.min(buf.length, end - pos + 1), pos);
      if (bytesRead === 0) throw new Error('blob is shorter than its size');
      pos += bytesRead;
      inflight[k] = new Promise<void>((resolve, reject) => {
        res.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve()));
      });
      inflight[k]!.catch(() => {});
      k = (k + 1) % nbuf;
    }
    await Promise.race([Promise.all(inflight), gone]);
    await new Promise<void>((resolve) => res.end(resolve));
  } finally {
    budgetInUse -= granted;
    res.off('close', onClose);
    await fh.close();
  }
}
