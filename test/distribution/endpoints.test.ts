// Which registries are spoken to over plain HTTP: loopback always; others
// only when listed by flag, TUG_INSECURE_REGISTRIES or <root>/registries.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointFor, normalizeServer } from '../../src/distribution/registries.js';
import { tempRoot } from '../helpers.js';

test('loopback is http, everything else https unless configured insecure', (t) => {
  const tr = tempRoot();
  t.after(() => tr.cleanup());
  const env = {};
  assert.equal(endpointFor('localhost:5000', { env }).base.href, 'http://localhost:5000/');
  assert.equal(endpointFor('127.0.0.1:5000', { env }).base.href, 'http://127.0.0.1:5000/');
  assert.equal(endpointFor('[::1]:5000', { env }).base.protocol, 'http:');
  assert.equal(endpointFor('registry.example:5000', { env }).base.href, 'https://registry.example:5000/');
  assert.equal(endpointFor('docker.io', { env }).base.href, 'https://registry-1.docker.io/');
  assert.equal(endpointFor('registry.example:5000', { env, insecure: ['registry.example:5000'] }).base.protocol, 'http:');
  assert.equal(endpointFor('a.example', { env: { TUG_INSECURE_REGISTRIES: 'b.example, a.example' } }).base.protocol, 'http:');
  writeFileSync(join(tr.root, 'registries.json'), JSON.stringify({ 'insecure-registries': ['c.example:5000'] }));
  assert.equal(endpointFor('c.example:5000', { env, root: tr.root }).base.protocol, 'http:');
  assert.equal(endpointFor('d.example:5000', { env, root: tr.root }).base.protocol, 'https:');
  writeFileSync(join(tr.root, 'registries.json'), '{oops');
  assert.throws(() => endpointFor('d.example', { env, root: tr.root }), /registries\.json is not valid JSON/);
});

test('login server names normalise as docker does', () => {
  assert.equal(normalizeServer(undefined), 'docker.io');
  assert.equal(normalizeServer('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normalizeServer('http://127.0.0.1:5000/'), '127.0.0.1:5000');
});
