import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainMiss } from '../../src/build/explain.js';
import { stepKey } from '../../src/build/cachekey.js';
import type { RunStep } from '../../src/build/cache.js';

const prev: RunStep[] = [
  { stage: 'build', index: 1, key: 'k1', step: { definition: 'COPY src/ /src/', inputs: { 'file:src/a.go': 'sha256:1', 'file:src/b.go': 'sha256:2' } } },
  { stage: 'build', index: 2, key: 'k2', step: { definition: 'RUN make', inputs: { 'arg:VERSION': 'sha256:v1' } } },
];

test('a changed file is named', () => {
  const why = explainMiss({ definition: 'COPY src/ /src/', inputs: { 'file:src/a.go': 'sha256:1', 'file:src/b.go': 'sha256:9' } }, 'build', 1, prev, false);
  assert.equal(why, 'file src/b.go changed');
});

test('a changed build arg, an edited instruction, a cascade and a first build are told apart', () => {
  assert.equal(explainMiss({ definition: 'RUN make', inputs: { 'arg:VERSION': 'sha256:v2' } }, 'build', 2, prev, true), 'build arg VERSION changed');
  assert.equal(explainMiss({ definition: 'RUN make all', inputs: { 'arg:VERSION': 'sha256:v1' } }, 'build', 2, prev, false), 'instruction changed (was: RUN make)');
  assert.equal(explainMiss({ definition: 'RUN make', inputs: { 'arg:VERSION': 'sha256:v1' } }, 'build', 2, prev, true), 'a previous step was rebuilt');
  assert.equal(explainMiss({ definition: 'RUN make', inputs: {} }, 'build', 2, undefined, false), 'no previous build of this target');
});

test('step keys depend on parent, definition and every input, and not on input order', () => {
  const a = stepKey('p', { definition: 'RUN x', inputs: { a: '1', b: '2' } });
  assert.equal(a, stepKey('p', { definition: 'RUN x', inputs: { b: '2', a: '1' } }));
  assert.notEqual(a, stepKey('q', { definition: 'RUN x', inputs: { a: '1', b: '2' } }));
  assert.notEqual(a, stepKey('p', { definition: 'RUN y', inputs: { a: '1', b: '2' } }));
  assert.notEqual(a, stepKey('p', { definition: 'RUN x', inputs: { a: '1', b: '3' } }));
});
