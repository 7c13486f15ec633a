// Pure pieces of the registry, checked against the spec's own text: the v1.1
// name grammar, the tag grammar, Range/Content-Range parsing, tokens and the
// access file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessPolicy, parseAccessFile } from '../../src/registry/auth/access.js';
import { TokenIssuer, parseScope } from '../../src/registry/auth/token.js';
import { parseDuration } from '../../src/registry/duration.js';
import { parseContentRange, parseRange } from '../../src/registry/http/request.js';
import { isValidName, isValidTag, parseReference } from '../../src/registry/names.js';

describe('registry names (distribution spec v1.1)', () => {
  it('accepts what [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/…)* accepts', () => {
    for (const n of ['a', 'library/busybox', 'a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'x/y/z', '0/1', `${'a'.repeat(127)}/${'b'.repeat(127)}`]) assert.ok(isValidName(n), n);
  });
  it('refuses traversal, uppercase, empty components, bad separators and names of 256+ characters', () => {
    for (const n of ['', '..', '../a', 'a/..', 'a/./b', 'A', 'aB', 'a//b', '/a', 'a/', 'a___b', 'a_-b', 'a.-b', '-a', 'a-', '.a', 'a b', 'a%2fb', 'a'.repeat(256)]) assert.ok(!isValidName(n), n);
  });
  it('tags: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', () => {
    for (const t of ['latest', 'v1.2.3', '_x', 'A-b_c.d', 'a'.repeat(128)]) assert.ok(isValidTag(t), t);
    for (const t of ['', '.x', '-x', 'a/b', 'a:b', 'a'.repeat(129)]) assert.ok(!isValidTag(t), t);
    assert.deepEqual(parseReference('v1'), { kind: 'tag', tag: 'v1' });
    assert.equal(parseReference(`sha256:${'a'.repeat(64)}`).kind, 'digest');
    assert.throws(() => parseReference('sha256:xyz'), /invalid digest/);
  });
});

describe('registry header parsing', () => {
  it('Range (RFC 9110 single ranges)', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-200', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-', 100), { start: 50, end: 99 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=9-5', 100), undefined);
    assert.equal(parseRange('items=0-1', 100), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  });
  it('Content-Range of chunk uploads: ^[0-9]+-[0-9]+$', () => {
    assert.deepEqual(parseContentRange('0-1023'), { start: 0, end: 1023 });
    assert.throws(() => parseContentRange('5-1'));
    assert.throws(() => parseContentRange('abc'));
    assert.equal(parseContentRange(undefined), undefined);
  });
  it('durations', () => {
    assert.equal(parseDuration('1h', 'x'), 3600_000);
    assert.equal(parseDuration('150ms', 'x'), 150);
    assert.equal(parseDuration('30', 'x'), 30_000);
    assert.throws(() => parseDuration('1 hour', 'x'), /invalid duration/);
  });
});

describe('registry tokens and access files', () => {
  const issuer = new TokenIssuer(Buffer.alloc(32, 7), 'tug-registry', 'svc', 60);
  it('tokens verify with the right key and audience, and expire', () => {
    const { token } = issuer.issue('alice', [{ type: 'repository', name: 'a/b', actions: ['pull'] }], 1000);
    assert.equal(issuer.verify(token, 1010)?.sub, 'alice');
    assert.equal(issuer.verify(token, 1061), null, 'expired');
    assert.equal(new TokenIssuer(Buffer.alloc(32, 8), 'tug-registry', 'svc').verify(token, 1010), null, 'other key');
    assert.equal(new TokenIssuer(Buffer.alloc(32, 7), 'tug-registry', 'other').verify(token, 1010), null, 'other service');
  });
  it('scopes', () => {
    assert.deepEqual(parseScope('repository:team/app:pull,push'), { type: 'repository', name: 'team/app', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository(plugin):x:pull'), { type: 'repository', name: 'x', actions: ['pull'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.equal(parseScope('nonsense'), null);
  });
  it('access files grant the union of matching rules and reject bad lines', () => {
    const p = new AccessPolicy({ rules: parseAccessFile('alice * *\nbob team/* pull\nbob team/bob push # own\n* shared/* pull\nanonymous pub/* pull\n') });
    assert.deepEqual([...p.allowed({ user: 'bob' }, 'team/bob')].sort(), ['pull', 'push']);
    assert.deepEqual([...p.allowed({ user: 'bob' }, 'team/x/y')], ['pull']);
    assert.deepEqual([...p.allowed({ user: 'carol' }, 'shared/z')], ['pull']);
    assert.deepEqual([...p.allowed({ user: 'carol' }, 'pub/z')], ['pull']);
    assert.deepEqual([...p.allowed({ user: null }, 'shared/z')], []);
    assert.deepEqual([...p.allowed({ user: 'alice' }, 'any/thing')].sort(), ['delete', 'pull', 'push']);
    assert.throws(() => parseAccessFile('bob team/*'), /expected "<user> <repository pattern> <actions>"/);
    assert.throws(() => parseAccessFile('bob team/* fly'), /unknown action "fly"/);
    const ro = new AccessPolicy({ rules: parseAccessFile('alice * *'), readOnly: true });
    assert.deepEqual([...ro.allowed({ user: 'alice' }, 'x')], ['pull']);
  });
});
