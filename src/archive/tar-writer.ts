// A streaming tar writer: entries in, a Readable of tar bytes out, with file
// bodies streamed from disk (backpressure comes from Readable.from).
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { TugError } from '../util/errors.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-header.js';

export interface WriteEntry {
  header: TarHeader;
  /** For regular files: the path whose content is the body (exactly header.size bytes). */
  source?: string;
}

const CHUNK = 256 * 1024;

async function* fileBody(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) {
        throw new TugError('CONFLICT', `${path} shrank while it was being archived`, { hint: 'do not change files while a layer is being created' });
      }
      left -= bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export async function* tarBytes(entries: AsyncIterable<WriteEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e.header);
    if (e.header.type === 'file' && e.header.size > 0) {
      if (!e.source) throw new Error(`tar entry ${e.header.name} has no source`);
      yield* fileBody(e.source, e.header.size);
      const pad = padding(e.header.size);
      if (pad.length) yield pad;
    }
  }
  yield END_OF_ARCHIVE;
}

export function tarStream(entries: AsyncIterable<WriteEntry>): Readable {
  return Readable.from(tarBytes(entries), { objectMode: false, highWaterMark: 1024 * 1024 });
}
