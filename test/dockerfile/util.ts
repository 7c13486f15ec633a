// Helpers for the dockerfile tests: parse a snippet, compare a subset of fields.
import assert from 'node:assert/strict';
import { parseDockerfile, type Instruction } from '../../src/dockerfile/index.js';

/** The first instruction after `FROM scratch` (or the FROM itself when src starts with FROM). */
export function one(src: string): Instruction {
  if (/^\s*from\s/i.test(src)) return parseDockerfile(src).stages[0].from;
  const df = parseDockerfile('FROM scratch\n' + src);
  return df.stages[0].instructions[0];
}

/** Asserts that every field of `expected` equals the same field of `actual` (recursively). */
export function assertSubset(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === null || typeof expected !== 'object') {
    assert.deepEqual(actual, expected, `at ${path}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `at ${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `at ${path}: length`);
    expected.forEach((e, i) => assertSubset((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  assert.ok(actual !== null && typeof actual === 'object', `at ${path}: expected an object, got ${JSON.stringify(actual)}`);
  for (const [k, v] of Object.entries(expected as Record<string, unknown>)) {
    assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  }
}
