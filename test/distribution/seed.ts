// Test images from the image service: busybox imported from the offline
// rootfs tarball (what `tug import` does), and big random layers.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createCipheriv, createHash } from 'node:crypto';
import { ImageService } from '../../src/image/service.js';
import type { Digest } from '../../src/oci/types.js';
import { BUSYBOX_TAR } from '../helpers.js';

export async function seedBusybox(root: string, names: string[]): Promise<{ id: Digest; manifestDigest: Digest }> {
  const images = ImageService.open(root);
  const rec = await images.createImage({ layers: [{ tar: createReadStream(BUSYBOX_TAR), compress: true }], names, config: { Cmd: ['sh'] }, created: '2024-01-01T00:00:00Z' });
  return { id: rec.id, manifestDigest: rec.manifestDigest };
}

/** A tar with one file of `size` pseudo-random bytes (deterministic from seed). */
export function randomTar(size: number, seed: string): Readable {
  let produced = 0;
  const cipher = createCipheriv('aes-128-ctr', createHash('sha256').update(seed).digest().subarray(0, 16), Buffer.alloc(16));
  const header = Buffer.alloc(512);
  const name = 'data.bin';
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = (512 - (size % 512)) % 512;
  const total = 512 + size + pad + 1024;
  let sentHeader = false;
  return new Readable({
    read() {
      if (!sentHeader) {
        sentHeader = true;
        this.push(header);
        return;
      }
      if (produced < size) {
        const n = Math.min(1 << 20, size - produced);
        const chunk = cipher.update(Buffer.alloc(n));
        produced += n;
        this.push(chunk);
        return;
      }
      this.push(Buffer.alloc(total - 512 - size));
      this.push(null);
    },
  });
}

export async function seedRandom(root: string, names: string[], sizes: number[], seed: string): Promise<{ id: Digest; manifestDigest: Digest }> {
  const images = ImageService.open(root);
  const rec = await images.createImage({
    layers: sizes.map((s, i) => ({ tar: randomTar(s, `${seed}-${i}`), compress: false })),
    names,
    created: '2024-01-01T00:00:00Z',
  });
  return { id: rec.id, manifestDigest: rec.manifestDigest };
}
