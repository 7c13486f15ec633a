import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ContentStore } from '../../src/content/store.js';
import { closeDb, openDb, writeTx, type Db, type MigrationSet } from '../../src/meta/db.js';
import { collectGarbage, sqlRoots, type RootProvider } from '../../src/meta/gc.js';
import { addLeaseResource, createLease, deleteLease, listLeases } from '../../src/meta/leases.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import type { Descriptor, Digest } from '../../src/oci/types.js';
import { tempRoot } from '../helpers.js';

const TEST_ROOTS: MigrationSet = { module: 'gc_test', steps: ['CREATE TABLE gc_test_roots (digest TEXT PRIMARY KEY)'] };
const testRoots: RootProvider = sqlRoots('test roots', 'SELECT digest FROM gc_test_roots');

interface Fx {
  root: string;
  store: ContentStore;
  db: Db;
  cleanup(): void;
}

function fixture(): Fx {
  const t = tempRoot('tug-gc-');
  const store = ContentStore.open(t.root);
  const db = openDb(t.root, [TEST_ROOTS]);
  return { root: t.root, store, db, cleanup: () => { closeDb(t.root); t.cleanup(); } };
}

function addRoot(db: Db, d: Digest): void {
  writeTx(db, () => db.prepare('INSERT OR IGNORE INTO gc_test_roots VALUES (?)').run(d));
}

async function put(store: ContentStore, bytes: Buffer | string, mediaType: string): Promise<Descriptor> {
  const { digest, size } = await store.write(Buffer.from(bytes));
  return { mediaType, digest, size };
}

async function image(store: ContentStore, layers: Descriptor[], tag: string) {
  const config = await put(store, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag }), MediaType.OciConfig);
  const manifest = await put(store, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }), MediaType.OciManifest);
  return { config, manifest };
}

/** Makes every blob look old, as if written long ago. */
function age(store: ContentStore, ms = 3_600_000): void {
  const t = new Date(Date.now() - ms);
  for (const n of readdirSync(store.layout.blobsDir)) utimesSync(join(store.layout.blobsDir, n), t, t);
}

async function blobs(store: ContentStore): Promise<Set<Digest>> {
  const s = new Set<Digest>();
  for await (const b of store.walk()) s.add(b.digest);
  return s;
}

test('mark from roots through index → manifests → config + layers; sweep the rest', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const shared = await put(f.store, randomBytes(5000), MediaType.OciLayerGzip);
    const big = await put(f.store, randomBytes(5 * 1024 * 1024), MediaType.OciLayerGzip); // over the manifest read cap: a leaf
    const a = await image(store, [shared, big], 'a');
    const bOnly = await put(store, randomBytes(3000), MediaType.DockerLayerGzip);
    const b = await image(store, [shared, bOnly], 'b');
    const index = await put(store, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [a.manifest] }), MediaType.DockerManifestList);
    const orphan = await put(store, 'orphan', 'application/octet-stream');
    addRoot(db, index.digest);
    age(store);

    const dry = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0, dryRun: true });
    const garbage = [b.manifest, b.config, bOnly, orphan].map((d) => d.digest).sort();
    assert.deepEqual(dry.removed, garbage);
    assert.equal((await blobs(store)).size, 9, 'dry run removes nothing');

    const r = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0 });
    assert.deepEqual(r.removed, garbage);
    assert.equal(r.freedBytes, b.manifest.size + b.config.size + bOnly.size + orphan.size);
    assert.deepEqual([...(await blobs(store))].sort(), [index, a.manifest, a.config, shared, big].map((d) => d.digest).sort());
    assert.equal(r.marked, 5);
    assert.deepEqual(readdirSync(store.layout.trashDir), [], 'nothing left parked');

    // Untag: everything goes.
    writeTx(db, () => db.prepare('DELETE FROM gc_test_roots').run());
    const r2 = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0 });
    assert.equal(r2.removed.length, 5);
    assert.equal((await blobs(store)).size, 0);
  } finally {
    f.cleanup();
  }
});

test('blobs inside the grace period are kept, and a re-commit restarts the clock', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const old = await put(store, 'old', 'x/y');
    age(store);
    const fresh = await put(store, 'fresh', 'x/y');
    const r = await collectGarbage({ store, db, roots: [], gracePeriodMs: 60_000 });
    assert.deepEqual(r.removed, [old.digest]);
    assert.ok(await store.has(fresh.digest));
    age(store);
    await store.write(Buffer.from('fresh')); // already exists: success, and the mtime is now
    const r2 = await collectGarbage({ store, db, roots: [], gracePeriodMs: 60_000 });
    assert.deepEqual(r2.removed, []);
    assert.ok(await store.has(fresh.digest));
  } finally {
    f.cleanup();
  }
});

test('leased blobs are kept; expired leases are ignored and deleted', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const a = await put(store, 'leased', 'x/y');
    const b = await put(store, 'lease expired', 'x/y');
    const m = await image(store, [a], 'leased manifest');
    const live = createLease(db, { expiresInMs: 60_000 });
    addLeaseResource(db, live.id, m.manifest.digest); // a leased manifest holds its children too
    const dead = createLease(db, { expiresInMs: 1 });
    // addLeaseResource refuses an expired lease, so take the resource while it is alive
    const dead2 = createLease(db, { expiresInMs: 60_000 });
    addLeaseResource(db, dead2.id, b.digest);
    writeTx(db, () => db.prepare('UPDATE leases SET expires_at = ? WHERE id = ?').run(Date.now() - 1, dead2.id));
    age(store);
    await new Promise((r) => setTimeout(r, 5));
    const r = await collectGarbage({ store, db, roots: [], gracePeriodMs: 0 });
    assert.deepEqual(r.removed, [b.digest]);
    assert.equal(r.expiredLeases, 2);
    assert.deepEqual(listLeases(db).map((l) => l.id), [live.id]);
    assert.ok(dead.expiresAt! < Date.now());
    for (const d of [a, m.manifest, m.config]) assert.ok(await store.has(d.digest));
    deleteLease(db, live.id);
    const r2 = await collectGarbage({ store, db, roots: [], gracePeriodMs: 0 });
    assert.equal(r2.removed.length, 3);
  } finally {
    f.cleanup();
  }
});

test('missing roots are reported, corrupt or non-JSON blobs are leaves', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const layer = await put(store, randomBytes(100), MediaType.OciLayer);
    const notJson = await put(store, '{ this is not json', 'x/y');
    addRoot(db, notJson.digest);
    addRoot(db, layer.digest);
    const ghost = 'sha256:' + 'f'.repeat(64);
    addRoot(db, ghost);
    addRoot(db, 'not-a-digest');
    age(store);
    const r = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0 });
    assert.deepEqual(r.removed, []);
    assert.deepEqual(r.missing, [ghost]);
  } finally {
    f.cleanup();
  }
});

test('stale ingests are removed, fresh and held ones kept', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const stale = await store.writer('stale');
    await stale.write(Buffer.from('x'));
    await stale.close();
    const held = await store.writer('held');
    await held.write(Buffer.from('y'));
    const fresh = await store.writer('fresh');
    await fresh.write(Buffer.from('z'));
    await fresh.close();
    const t = new Date(Date.now() - 2 * 86_400_000);
    for (const ref of ['stale', 'held']) {
      const dir = store.layout.ingestPath(ref);
      utimesSync(join(dir, 'data'), t, t);
      utimesSync(dir, t, t);
    }
    const r = await collectGarbage({ store, db, roots: [], gracePeriodMs: 0, ingestMaxAgeMs: 86_400_000 });
    assert.deepEqual(r.ingestsRemoved, ['stale']);
    assert.ok(!existsSync(store.layout.ingestPath('stale')));
    assert.ok(existsSync(store.layout.ingestPath('held')));
    assert.ok(existsSync(store.layout.ingestPath('fresh')));
    const c = await held.commit();
    assert.ok(await store.has(c.digest));
  } finally {
    f.cleanup();
  }
});

test('a blob a collector left parked is put back by the next run', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const a = await put(store, 'parked', 'x/y');
    addRoot(db, a.digest);
    // Simulate a collector that died (pid 999999 is not running) between park and unlink.
    const { renameSync, mkdirSync } = await import('node:fs');
    mkdirSync(store.layout.trashDir, { recursive: true });
    renameSync(store.blobPath(a.digest), join(store.layout.trashDir, `${a.digest.slice(7)}.999999.0`));
    assert.equal(await store.has(a.digest), false);
    const r = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0 });
    assert.deepEqual(r.removed, []);
    assert.ok(await store.has(a.digest));
    assert.deepEqual(readdirSync(store.layout.trashDir), []);
  } finally {
    f.cleanup();
  }
});

test('only + ignoreLeases: a failed operation takes back just its own unneeded blobs', async () => {
  const f = fixture();
  try {
    const { store, db } = f;
    const mine = createLease(db);
    const theirs = createLease(db);
    const x = await put(store, 'only mine', 'x/y');
    const y = await put(store, 'also theirs', 'x/y');
    const z = await put(store, 'rooted by an image', 'x/y');
    const w = await put(store, 'unrelated garbage', 'x/y');
    for (const d of [x, y, z]) addLeaseResource(db, mine.id, d.digest);
    addLeaseResource(db, theirs.id, y.digest);
    addRoot(db, z.digest);
    const stale = await store.writer('stale-ingest');
    await stale.close();
    const r = await collectGarbage({ store, db, roots: [testRoots], gracePeriodMs: 0, only: [x.digest, y.digest, z.digest], ignoreLeases: [mine.id], ingestMaxAgeMs: 0 });
    assert.deepEqual(r.removed, [x.digest]);
    for (const d of [y, z, w]) assert.ok(await store.has(d.digest));
    assert.ok(existsSync(store.layout.ingestPath('stale-ingest')), 'a targeted run leaves ingests alone');
  } finally {
    f.cleanup();
  }
});
