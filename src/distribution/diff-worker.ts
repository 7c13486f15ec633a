// Worker thread: measures layers' diffIDs (sha256 of the uncompressed tar)
// from the compressed bytes a pull streams to it, so gunzip bookkeeping and
// the second sha256 run beside the download instead of on its thread.
// Messages in: {op:'open'|'data'|'end', id, buf?}; out: {id, acked} after each
// chunk, {id, diffID, diffSize} or {id, error} at the end.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { createGunzip, type Gunzip } from 'node:zlib';

interface Job {
  kind?: 'gzip' | 'none' | 'other';
  gunzip?: Gunzip;
  hash: Hash;
  size: number;
  failed?: string;
}

export type DiffWorkerIn = { op: 'open'; id: number } | { op: 'data'; id: number; buf: Uint8Array } | { op: 'end'; id: number };
export type DiffWorkerOut = { id: number; acked: number } | { id: number; diffID?: string; diffSize?: number; kind?: string; error?: string };

const jobs = new Map<number, Job>();
const port = parentPort;

function done(id: number, job: Job): void {
  jobs.delete(id);
  if (job.failed) port?.postMessage({ id, error: job.failed } satisfies DiffWorkerOut);
  else port?.postMessage({ id, kind: job.kind, diffID: `sha256:${job.hash.digest('hex')}`, diffSize: job.size } satisfies DiffWorkerOut);
}

port?.on('message', (m: DiffWorkerIn) => {
  if (m.op === 'open') {
    jobs.set(m.id, { hash: createHash('sha256'), size: 0 });
    return;
  }
  const job = jobs.get(m.id);
  if (!job) return;
  if (m.op === 'data') {
    const buf = Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength);
    if (job.kind === undefined) {
      job.kind = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b ? 'gzip' : buf.length >= 4 && buf.readUInt32LE(0) === 0xfd2fb528 ? 'other' : 'none';
      if (job.kind === 'gzip') {
        const gz = createGunzip({ chunkSize: 1 << 20 });
        gz.on('data', (c: Buffer) => {
          job.hash.update(c);
          job.size += c.length;
        });
        gz.on('error', (e) => {
          job.failed = e.message;
        });
        job.gunzip = gz;
      }
    }
    const n = buf.length;
    if (job.kind === 'gzip' && job.gunzip && !job.failed) {
      // ack once gunzip has taken the chunk, so the sender's window tracks real progress
      job.gunzip.write(buf, () => port?.postMessage({ id: m.id, acked: n } satisfies DiffWorkerOut));
    } else {
      if (job.kind === 'none') {
        job.hash.update(buf);
        job.size += n;
      }
      port?.postMessage({ id: m.id, acked: n } satisfies DiffWorkerOut);
    }
    return;
  }
  // end
  if (job.kind === 'gzip' && job.gunzip && !job.failed) {
    const gz = job.gunzip;
    gz.once('end', () => done(m.id, job));
    gz.once('error', () => done(m.id, job));
    gz.end();
  } else {
    if (job.kind === 'other') job.failed = 'not gzip';
    done(m.id, job);
  }
});
