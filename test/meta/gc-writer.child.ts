// Child for the online GC test: writes blobs the documented way (lease
// first, write, record a root, drop the lease), deletes some of its roots,
// and checks that a blob it has rooted is always there.
import { createHash } from 'node:crypto';
import { ContentStore } from '../../src/content/store.js';
import { openDb, writeTx } from '../../src/meta/db.js';
import { addLeaseResource, createLease, deleteLease } from '../../src/meta/leases.js';
import { GC_ONLINE_MIGRATIONS } from './gc-roots.schema.js';

const [root, ownerArg, itersArg] = process.argv.slice(2);
const owner = Number(ownerArg);
const store = ContentStore.open(root);
const db = openDb(root, [GC_ONLINE_MIGRATIONS]);

/** One of a few fixed contents, so writers keep re-committing blobs the collector is removing. */
function content(k: number): Buffer {
  const parts: Buffer[] = [];
  let h = Buffer.from(`content-${k}`);
  for (let i = 0; i < 400; i++) parts.push((h = createHash('sha256').update(h).digest()));
  return Buffer.concat(parts);
}

let failures = 0;
for (let i = 0; i < Number(itersArg); i++) {
  const bytes = content(Math.floor(Math.random() * 12));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const lease = createLease(db, { expiresInMs: 60_000 });
  addLeaseResource(db, lease.id, digest);
  await store.write(bytes, { digest, size: bytes.length });
  writeTx(db, () => db.prepare('INSERT OR IGNORE INTO online_roots VALUES (?, ?)').run(owner, digest));
  deleteLease(db, lease.id);
  // Rooted by us and only we delete our rows: it must be there and intact.
  try {
    await store.readBytes(digest);
  } catch (e) {
    failures++;
    process.stderr.write(`rooted blob unreadable: ${String(e)}\n`);
  }
  if (Math.random() < 0.5) {
    writeTx(db, () => db.prepare('DELETE FROM online_roots WHERE rowid IN (SELECT rowid FROM online_roots WHERE owner = ? ORDER BY random() LIMIT 1)').run(owner));
  }
}
db.close();
process.exitCode = failures ? 1 : 0;
