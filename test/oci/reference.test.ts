// Expected values are docker's documented behaviour: the grammar and test
// tables of github.com/distribution/reference (normalize_test.go,
// reference_test.go) and what `docker pull/tag` print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseReference, withTag, withDigest } from '../../src/oci/reference.js';
import { TugError } from '../../src/util/errors.js';

const D = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

test('normalisation: canonical strings', () => {
  const table: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/redis', 'docker.io/library/redis:latest'],
    ['index.docker.io/library/redis', 'docker.io/library/redis:latest'],
    [`redis@${D}`, `docker.io/library/redis@${D}`],
    [`busybox:latest@${D}`, `docker.io/library/busybox:latest@${D}`],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp:latest'],
    [`dmcgowan/myapp@${D}`, `docker.io/dmcgowan/myapp@${D}`],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian:latest'],
    ['192.168.0.1', 'docker.io/library/192.168.0.1:latest'],
    ['192.168.0.1:80', 'docker.io/library/192.168.0.1:80'],
    ['192.168.0.1:8/debian', '192.168.0.1:8/debian:latest'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker:latest'],
    ['docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest'],
    ['dbcc1', 'docker.io/library/dbcc1:latest'],
    ['Foo/bar', 'Foo/bar:latest'],
    ['docker---rules/docker', 'docker.io/docker---rules/docker:latest'],
    ['dock__er/docker', 'docker.io/dock__er/docker:latest'],
    ['busybox:Latest_1.2-rc', 'docker.io/library/busybox:Latest_1.2-rc'],
  ];
  for (const [input, want] of table) assert.equal(parseReference(input).toString(), want, input);
});

test('domain, path, familiar name (distribution/reference TestParseRepositoryInfo)', () => {
  const table: Array<{ refs: string[]; domain: string; path: string; familiar: string }> = [
    { refs: ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar'], domain: 'docker.io', path: 'fooo/bar', familiar: 'fooo/bar' },
    { refs: ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu'], domain: 'docker.io', path: 'library/ubuntu', familiar: 'ubuntu' },
    { refs: ['other/library'], domain: 'docker.io', path: 'other/library', familiar: 'other/library' },
    { refs: ['127.0.0.1:8000/private/moonbase'], domain: '127.0.0.1:8000', path: 'private/moonbase', familiar: '127.0.0.1:8000/private/moonbase' },
    { refs: ['example.com:8000/privatebasee'], domain: 'example.com:8000', path: 'privatebasee', familiar: 'example.com:8000/privatebasee' },
    { refs: ['ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base'], domain: 'docker.io', path: 'library/ubuntu-12.04-base', familiar: 'ubuntu-12.04-base' },
    { refs: ['library/foo/bar', 'docker.io/library/foo/bar'], domain: 'docker.io', path: 'library/foo/bar', familiar: 'library/foo/bar' },
    { refs: ['FOO/bar'], domain: 'FOO', path: 'bar', familiar: 'FOO/bar' },
    { refs: ['test_com/foo'], domain: 'docker.io', path: 'test_com/foo', familiar: 'test_com/foo' },
    { refs: ['test-com:8080/foo'], domain: 'test-com:8080', path: 'foo', familiar: 'test-com:8080/foo' },
    { refs: ['xn--n3h.com:18080/foo'], domain: 'xn--n3h.com:18080', path: 'foo', familiar: 'xn--n3h.com:18080/foo' },
    { refs: ['localhost:5000/a/b:t'], domain: 'localhost:5000', path: 'a/b', familiar: 'localhost:5000/a/b' },
  ];
  for (const row of table) {
    for (const input of row.refs) {
      const r = parseReference(input);
      assert.equal(r.domain, row.domain, input);
      assert.equal(r.path, row.path, input);
      assert.equal(r.name, `${row.domain}/${row.path}`, input);
      assert.equal(familiarName(r), row.familiar, input);
      assert.equal(r.familiar, row.familiar, input);
    }
  }
});

test('tag and digest: latest only when there is no digest', () => {
  assert.equal(parseReference('busybox').tag, 'latest');
  const pinned = parseReference(`busybox@${D}`);
  assert.equal(pinned.tag, undefined);
  assert.equal(pinned.digest, D);
  const both = parseReference(`busybox:1.36@${D}`);
  assert.equal(both.tag, '1.36');
  assert.equal(both.digest, D);
  assert.equal(familiarString(both), `busybox:1.36@${D}`);
  assert.equal(parseReference('busybox', { defaultTag: false }).tag, undefined);
  assert.equal(parseReference('busybox', { defaultTag: false }).toString(), 'docker.io/library/busybox');
  assert.equal(familiarString(parseReference('user/app')), 'user/app:latest');
  assert.equal(withTag(parseReference('busybox'), 'v2').toString(), 'docker.io/library/busybox:v2');
  assert.equal(withDigest(parseReference('busybox:x'), D).toString(), `docker.io/library/busybox@${D}`);
});

function invalid(input: string, re: RegExp): void {
  assert.throws(() => parseReference(input), (e: unknown) => {
    assert.ok(e instanceof TugError, `${input}: not a TugError: ${String(e)}`);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /^invalid reference format/);
    assert.match(e.message, re, input);
    assert.ok(e.hint, `${input}: has a hint`);
    return true;
  }, input);
}

test('invalid references give one clear INVALID_ARGUMENT', () => {
  invalid('', /at least one component/);
  invalid('Busybox', /repository name must be lowercase/);
  invalid('docker/Docker', /repository name must be lowercase/);
  invalid('docker.io/docker/Docker', /repository name must be lowercase/);
  invalid('localhost:5000/MyApp:1', /repository name must be lowercase/);
  invalid(`busybox:${'a'.repeat(129)}`, /129 characters.*at most 128/);
  invalid('busybox:-bad', /invalid tag/);
  invalid('busybox:.bad', /invalid tag/);
  invalid('busybox:a+b', /invalid tag/);
  invalid('busybox@sha256:abc', /invalid digest/);
  invalid('busybox@sha256:' + 'A'.repeat(64), /invalid digest/);
  invalid('busybox@md5:d41d8cd98f00b204e9800998ecf8427e', /invalid digest/);
  invalid('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', /64-byte hexadecimal/);
  for (const name of [
    'https://github.com/docker/docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
    'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian', '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian', 'docker-/docker', '-docker-/docker', '____/____', '_docker/_docker',
    'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/', '$$$', '::', ' ', 'docker://quay.io/library/foo:bar',
  ]) {
    invalid(name, /./);
  }
  invalid(`${'a'.repeat(250)}/docker`, /255/);
});

test('a 128-character tag is still fine', () => {
  assert.equal(parseReference(`busybox:${'a'.repeat(128)}`).tag?.length, 128);
});

test('repository paths as the distribution API names them', async () => {
  const { isValidRepositoryPath, isValidTag } = await import('../../src/oci/reference.js');
  for (const ok of ['library/busybox', 'a', 'team/app-1/x__y', 'a.b/c_d']) assert.ok(isValidRepositoryPath(ok), ok);
  for (const bad of ['', 'Team/app', 'a//b', '/a', 'a/', 'a-', '-a', 'localhost:5000/a']) assert.ok(!isValidRepositoryPath(bad), bad);
  assert.ok(isValidTag('v1.0_rc-2'));
  assert.ok(!isValidTag('.hidden'));
  assert.ok(!isValidTag('a'.repeat(129)));
});
