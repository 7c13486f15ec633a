// Several real processes at once on one metadata DB: migrations run once,
// write transactions serialise, nothing is lost, the file stays sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeDb, openDb } from '../../src/meta/db.js';
import { tempRoot } from '../helpers.js';
import { HAMMER_MIGRATIONS } from './hammer.schema.js';

const CHILD = fileURLToPath(new URL('./hammer.child.js', import.meta.url));
const PROCS = 8;
const ITERS = 250;

function run(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, err }));
  });
}

test(`${PROCS} processes doing write transactions on one DB: no lost update, one migration`, async () => {
  const t = tempRoot('tug-meta-hammer-');
  try {
    const results = await Promise.all(Array.from({ length: PROCS }, (_, p) => run([t.root, String(p), String(ITERS)])));
    for (const r of results) assert.equal(r.code, 0, r.err);
    const db = openDb(t.root, [HAMMER_MIGRATIONS]);
    const total = PROCS * ITERS;
    assert.equal(db.prepare('SELECT value FROM counters WHERE id = 1').pluck().get(), total);
    assert.equal(db.prepare('SELECT count(*) FROM counters').pluck().get(), 1, 'the seeding migration ran once');
    assert.equal(db.prepare('SELECT version FROM schema_versions WHERE module = ?').pluck().get('hammer_test'), 2);
    assert.equal(db.prepare('SELECT count(*) FROM ledger').pluck().get(), total);
    assert.equal(db.prepare('SELECT count(DISTINCT seen) FROM ledger').pluck().get(), total, 'every transaction saw a different value');
    assert.deepEqual(db.prepare('SELECT min(seen), max(seen) FROM ledger').raw().get(), [0, total - 1]);
    for (let p = 0; p < PROCS; p++) {
      assert.deepEqual(db.prepare('SELECT count(*), min(seq), max(seq) FROM ledger WHERE proc = ?').raw().get(p), [ITERS, 0, ITERS - 1]);
    }
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    closeDb(t.root);
  } finally {
    t.cleanup();
  }
});
