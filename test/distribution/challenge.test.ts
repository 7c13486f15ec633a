// WWW-Authenticate parsing, checked against the header shapes real registries
// send (distribution's token auth, Docker Hub, htpasswd basic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../src/distribution/auth.js';
import { parsePlatform, selectManifest } from '../../src/distribution/platform.js';
import { humanSize } from '../../src/distribution/progress.js';

test('bearer challenge as Docker Hub sends it', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
  assert.equal(c.scheme, 'bearer');
  assert.deepEqual(c.params, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' });
});

test('basic challenge and several challenges in one header', () => {
  const cs = parseChallenges('Basic realm="tug-test", Bearer realm="http://x/token",error="insufficient_scope",scope="repository:a:pull,push repository:b:pull"');
  assert.equal(cs.length, 2);
  assert.deepEqual(cs[0], { scheme: 'basic', params: { realm: 'tug-test' } });
  assert.equal(cs[1].params.scope, 'repository:a:pull,push repository:b:pull');
  assert.equal(cs[1].params.error, 'insufficient_scope');
});

test('quoted values with escapes and commas', () => {
  const [c] = parseChallenges('Bearer realm="http://h/t?a=1,b=2",service="s \\"q\\""');
  assert.equal(c.params.realm, 'http://h/t?a=1,b=2');
  assert.equal(c.params.service, 's "q"');
});

test('platform parsing applies docker\'s defaults', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: undefined });
  assert.deepEqual(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.throws(() => parsePlatform('linux'), /invalid platform/);
  const ms = [
    { mediaType: 'x', digest: 'sha256:a', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'x', digest: 'sha256:b', size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ];
  assert.equal(selectManifest(ms, parsePlatform('linux/arm64'), 'x').digest, 'sha256:b');
  assert.throws(() => selectManifest(ms, parsePlatform('linux/s390x'), 'x'), /no matching manifest for linux\/s390x/);
});

test('sizes print like docker\'s HumanSize', () => {
  assert.equal(humanSize(2155000), '2.155MB');
  assert.equal(humanSize(30150), '30.15kB');
  assert.equal(humanSize(999), '999B');
});
