// A streaming tar reader: yields one entry at a time with its body as chunks
// (never a whole file in memory), hashes every byte it reads (the layer's
// diffID), and reports corrupt or truncated input as INVALID_ARCHIVE.
import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../oci/types.js';
import { invalidArchive } from './errors.js';
import { BLOCK, decodeRaw, entryType, isZeroBlock, parsePax, type TarHeader } from './tar-header.js';

/** Pulls exact byte counts out of a chunked source, hashing all it pulls. */
class ByteSource {
  private readonly it: AsyncIterator<Buffer | string>;
  private buf: Buffer = Buffer.alloc(0);
  private readonly hash: Hash = createHash('sha256');
  /** Bytes consumed by the reader so far (= offset in the tar). */
  offset = 0;
  /** Bytes pulled from the source (hashed) so far. */
  total = 0;
  private ended = false;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.hash.update(chunk);
    this.total += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** Exactly n bytes, or null at a clean end (no bytes left); throws when the input stops part-way. */
  async read(n: number, what: string): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (!(await this.pull())) {
        if (this.buf.length === 0) return null;
        throw invalidArchive(`truncated tar: input ended inside ${what} at offset ${this.offset + this.buf.length}`);
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** Up to n bytes in the chunks they arrive in. */
  async *chunks(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.pull())) {
        throw invalidArchive(`truncated tar: input ended inside ${what} at offset ${this.offset}`);
      }
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      this.offset += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.chunks(n, what)) void _;
  }

  /** Reads (and hashes) whatever follows the end-of-archive marker. */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.pull()) this.buf = Buffer.alloc(0);
  }

  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

function str0(pax: Map<string, Buffer> | null, key: string): string | undefined {
  return pax?.get(key)?.toString('utf8');
}

export interface TarEntry {
  header: TarHeader;
  /** Offset of the entry's header in the tar, for messages. */
  offset: number;
  /** The entry's data (regular files); skipped automatically if not read. */
  body(): AsyncGenerator<Buffer>;
}

const MAX_META = 16 * 1024 * 1024; // pax / GNU long-name records held in memory

export class TarReader {
  private readonly src: ByteSource;
  private result?: { diffID: Digest; size: number };

  constructor(source: AsyncIterable<Buffer | string>) {
    this.src = new ByteSource(source);
  }

  /** diffID (sha256 of all bytes) and size, once entries() has finished. */
  get stats(): { diffID: Digest; size: number } {
    if (!this.result) throw new Error('TarReader.stats read before the archive ended');
    return this.result;
  }

  async *entries(): AsyncGenerator<TarEntry> {
    const src = this.src;
    let globalPax = new Map<string, Buffer>();
    let pax: Map<string, Buffer> | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    let sawAny = false;
    for (;;) {
      const offset = src.offset;
      const block = await src.read(BLOCK, 'a header');
      if (block === null) {
        // An empty input is an empty layer; anything else must end with the zero blocks.
        if (sawAny) throw invalidArchive(`truncated tar: missing end-of-archive marker after offset ${offset}`);
        break;
      }
      sawAny = true;
      if (isZeroBlock(block)) {
        await src.drain();
        break;
      }
      const raw = decodeRaw(block, offset);
      const what = `the entry at offset ${offset}`;
      if (raw.flag === 'x' || raw.flag === 'g' || raw.flag === 'L' || raw.flag === 'K') {
        if (raw.size > MAX_META) throw invalidArchive(`tar metadata record too large at offset ${offset}`);
        const data = raw.size === 0 ? Buffer.alloc(0) : Buffer.from((await src.read(raw.size, what))!);
        await src.skip((BLOCK - (raw.size % BLOCK)) % BLOCK, what);
        if (raw.flag === 'x') pax = parsePax(data, offset);
        else if (raw.flag === 'g') globalPax = new Map([...globalPax, ...parsePax(data, offset)]);
        else {
          const s = data.toString('utf8').replace(/\0+$/, '');
          if (raw.flag === 'L') longName = s;
          else longLink = s;
        }
        continue;
      }
      let type = entryType(raw.flag, offset);
      // pre-POSIX tars mark directories only by a trailing slash (as Go's archive/tar reads them)
      if (type === 'file' && raw.flag !== '7' && (str0(pax, 'path') ?? longName ?? raw.name).endsWith('/')) type = 'dir';
      const rec = new Map([...globalPax, ...(pax ?? [])]);
      const str = (k: string): string | undefined => rec.get(k)?.toString('utf8');
      const numOf = (k: string, dflt: number): number => {
        const v = str(k);
        if (v === undefined) return dflt;
        const n = Number(v);
        if (!Number.isFinite(n)) throw invalidArchive(`corrupt tar: bad pax ${k}=${JSON.stringify(v)} at offset ${offset}`);
        return n;
      };
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of rec) {
        if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
        else if (k.startsWith('GNU.sparse.')) throw invalidArchive(`GNU sparse files are not supported (tar entry at offset ${offset})`);
      }
      const size = numOf('size', raw.size);
      const header: TarHeader = {
        name: str('path') ?? longName ?? raw.name,
        type,
        mode: raw.mode & 0o7777,
        uid: numOf('uid', raw.uid),
        gid: numOf('gid', raw.gid),
        size: type === 'file' ? size : 0,
        mtime: numOf('mtime', raw.mtime),
        atime: rec.has('atime') ? numOf('atime', 0) : undefined,
        linkname: str('linkpath') ?? longLink ?? raw.linkname,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs,
      };
      pax = null;
      longName = null;
      longLink = null;
      // As Go's archive/tar: only regular files carry data, whatever size others declare.
      const dataSize = type === 'file' ? size : 0;
      let consumed = 0;
      const body = async function* (): AsyncGenerator<Buffer> {
        if (consumed !== 0) throw new Error('tar entry body read twice');
        for await (const c of src.chunks(dataSize, what)) {
          consumed += c.length;
          yield c;
        }
      };
      yield { header, offset, body };
      if (consumed < dataSize) await src.skip(dataSize - consumed, what);
      await src.skip((BLOCK - (dataSize % BLOCK)) % BLOCK, what);
    }
    this.result = { diffID: src.digest(), size: src.total };
  }
}
