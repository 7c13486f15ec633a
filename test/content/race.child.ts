// Child process for the race test: waits for the go signal (a file appearing),
// then writes the blob in argv to the store in small chunks and prints the result.
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ContentStore } from '../../src/content/store.js';

const [root, blobFile, goFile, chunkSize] = process.argv.slice(2);
const data = readFileSync(blobFile);
const store = ContentStore.open(root);
while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 2));
const size = Number(chunkSize);
const chunks: Buffer[] = [];
for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
try {
  const r = await store.write(Readable.from(chunks));
  process.stdout.write(JSON.stringify(r));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }));
  process.exitCode = 1;
}
