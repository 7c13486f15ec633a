// The collector runs while other processes write (as the registry does):
// with grace period 0, only leases and the write transaction protect work
// in flight, and no rooted blob may ever go missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ContentStore } from '../../src/content/store.js';
import { closeDb, openDb } from '../../src/meta/db.js';
import { collectGarbage, sqlRoots } from '../../src/meta/gc.js';
import { listLeases } from '../../src/meta/leases.js';
import { tempRoot } from '../helpers.js';
import { GC_ONLINE_MIGRATIONS } from './gc-roots.schema.js';

const CHILD = fileURLToPath(new URL('./gc-writer.child.js', import.meta.url));

function run(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, err }));
  });
}

test('online GC with 3 writer processes: rooted blobs always survive, garbage goes', async () => {
  const t = tempRoot('tug-gc-online-');
  try {
    const store = ContentStore.open(t.root);
    const db = openDb(t.root, [GC_ONLINE_MIGRATIONS]);
    const roots = [sqlRoots('online roots', 'SELECT DISTINCT digest FROM online_roots')];
    let done = false;
    const writers = Promise.all([0, 1, 2].map((o) => run([t.root, String(o), '150']))).finally(() => (done = true));
    let runs = 0;
    let removed = 0;
    while (!done) {
      const r = await collectGarbage({ store, db, roots, gracePeriodMs: 0 });
      runs++;
      removed += r.removed.length;
      await new Promise((res) => setTimeout(res, 2));
    }
    for (const w of await writers) assert.equal(w.code, 0, w.err);
    assert.ok(runs >= 3, `the collector ran ${runs} times while writers worked`);
    assert.ok(removed > 0, 'the collector did remove garbage while writers worked');

    const final = await collectGarbage({ store, db, roots, gracePeriodMs: 0 });
    const rooted = new Set(db.prepare('SELECT DISTINCT digest FROM online_roots').pluck().all() as string[]);
    const present = new Set<string>();
    for await (const b of store.walk()) present.add(b.digest);
    assert.deepEqual([...present].sort(), [...rooted].sort(), 'exactly the rooted blobs remain');
    for (const d of rooted) await store.readBytes(d); // intact
    assert.deepEqual(final.missing, []);
    assert.deepEqual(listLeases(db), []);
    assert.deepEqual(readdirSync(store.layout.trashDir), []);
    assert.deepEqual(readdirSync(store.layout.ingestDir).filter((n) => n !== '.gc'), []);
    closeDb(t.root);
  } finally {
    t.cleanup();
  }
});
