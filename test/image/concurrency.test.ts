// 8 processes running import/tag/rmi loops against one state root at once,
// then a consistency check of the tables and the blobs they name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TUG_BIN, tempRoot, tugOk } from '../helpers.js';
import { pythonTar } from './util.js';

const WORKERS = 8;
const ROUNDS = 2;

function worker(root: string, i: number, tar: string): Promise<{ code: number; out: string }> {
  // each round: import under a private name, tag it twice (one name all workers fight over), drop the private name
  const script = `
set -e
for r in $(seq 1 ${ROUNDS}); do
  node ${TUG_BIN} --root ${root} import ${tar} w${i}:r$r >/dev/null
  node ${TUG_BIN} --root ${root} tag w${i}:r$r keep${i}:r$r
  node ${TUG_BIN} --root ${root} tag w${i}:r$r contended:latest
  node ${TUG_BIN} --root ${root} rmi w${i}:r$r >/dev/null
done`;
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('8 concurrent import/tag/rmi loops leave a consistent store', { timeout: 300_000 }, async () => {
  const R = tempRoot();
  const work = mkdtempSync('/var/tmp/tug-image-conc-');
  try {
    const tars = Array.from({ length: WORKERS }, (_, i) => {
      const f = join(work, `w${i}.tar`);
      pythonTar(f, [{ name: 'etc', dir: true }, { name: 'etc/worker', data: `worker ${i}\n` }, { name: 'shared', data: 'same in every layer\n' }]);
      return f;
    });
    await tugOk(['images'], { root: R.root }); // create the schema once, as the first real user would
    const results = await Promise.all(tars.map((t, i) => worker(R.root, i, t)));
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `worker ${i} failed:\n${r.out}`);

    // what the loops must have left: keepN:rR for every worker and round, one contended:latest
    const names = (await tugOk(['images', '--format', '{{.Repository}}:{{.Tag}}'], { root: R.root })).stdout.trim().split('\n').sort();
    const expected = ['contended:latest'];
    for (let i = 0; i < WORKERS; i++) for (let r = 1; r <= ROUNDS; r++) expected.push(`keep${i}:r${r}`);
    assert.deepEqual(names, expected.sort());

    const db = new Database(join(R.root, 'meta.db'), { readonly: true });
    try {
      const q = (sql: string): unknown[] => db.prepare(sql).all();
      assert.deepEqual(q('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      assert.deepEqual(q('SELECT name FROM image_names WHERE image_id NOT IN (SELECT id FROM images)'), []);
      assert.deepEqual(q('SELECT image_id FROM image_layers WHERE image_id NOT IN (SELECT id FROM images)'), []);
      assert.deepEqual(q('SELECT image_id FROM image_repo_digests WHERE image_id NOT IN (SELECT id FROM images)'), []);
      assert.deepEqual(q('SELECT id FROM leases'), [], 'every lease was released');
      // every image has exactly its one layer and all its blobs are in the store
      const blobs = new Set(readdirSync(join(R.root, 'blobs/sha256')));
      const rows = q('SELECT i.id, i.manifest_digest, l.digest FROM images i JOIN image_layers l ON l.image_id = i.id') as Array<{ id: string; manifest_digest: string; digest: string }>;
      assert.equal(rows.length, (q('SELECT id FROM images') as unknown[]).length);
      for (const r of rows) for (const d of [r.id, r.manifest_digest, r.digest]) assert.ok(blobs.has(d.slice(7)), `blob ${d} of image ${r.id} is in the store`);
      // each worker's images share its one layer blob
      assert.equal(new Set(rows.map((r) => r.digest)).size, WORKERS);
    } finally {
      db.close();
    }
    assert.deepEqual(readdirSync(join(R.root, 'ingest')).filter((n) => n !== '.gc'), [], 'no half-written ingests');
    // and every image still loads its config through the CLI
    for (const n of ['contended:latest', 'keep0:r1', `keep${WORKERS - 1}:r${ROUNDS}`]) await tugOk(['history', '-q', n], { root: R.root });
    assert.ok(existsSync(join(R.root, 'oci-layout')));
  } finally {
    R.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
