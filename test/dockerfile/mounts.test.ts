// RUN --mount option strings, from the Dockerfile reference's RUN --mount
// section: types, keys, aliases, defaults and the errors for bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMount, parseRamBytes, splitCsv, DockerfileError, expandInstruction, type RunInstruction } from '../../src/dockerfile/index.js';
import { assertSubset, one } from './util.js';

const OK: Array<[string, Record<string, unknown>]> = [
  ['type=cache,target=/root/.cache', { type: 'cache', target: '/root/.cache', id: '/root/.cache', sharing: 'shared', mode: 0o755, uid: 0, gid: 0, readOnly: false }],
  ['type=cache,id=gomod,target=/go/pkg/mod,sharing=locked', { id: 'gomod', sharing: 'locked' }],
  ['type=cache,target=/x,sharing=private,mode=0700,uid=1000,gid=1001', { sharing: 'private', mode: 0o700, uid: 1000, gid: 1001 }],
  ['type=cache,target=/x,from=builder,source=/cache', { from: 'builder', source: '/cache' }],
  ['type=cache,target=/x,ro', { readOnly: true }],
  ['type=cache,target=/x,readonly=true', { readOnly: true }],
  ['type=cache,dst=/x', { target: '/x' }],
  ['type=cache,destination=/x', { target: '/x' }],
  ['TYPE=CACHE,TARGET=/x', { type: 'cache', target: '/x' }],
  ['type=cache,target=/x,sharing=', { sharing: 'shared' }],
  ['type=bind,source=go.sum,target=go.sum', { type: 'bind', source: 'go.sum', target: 'go.sum', readOnly: true, from: undefined }],
  ['type=bind,target=/src,rw', { readOnly: false }],
  ['type=bind,target=/src,readwrite=true', { readOnly: false }],
  ['type=bind,target=/src,rw=false', { readOnly: true }],
  ['target=/src', { type: 'bind', target: '/src' }],
  ['type=bind,from=build,src=/out,target=/in', { from: 'build', source: '/out', target: '/in' }],
  ['type=bind,from=alpine:3.20,source=/etc/os-release,target=/os', { from: 'alpine:3.20' }],
  ['type=tmpfs,target=/tmp,size=64m', { type: 'tmpfs', target: '/tmp', size: 64 * 1024 * 1024, readOnly: false }],
  ['type=tmpfs,target=/tmp', { type: 'tmpfs', size: undefined }],
  ['type=secret,id=npmrc,target=/root/.npmrc', { type: 'secret', id: 'npmrc', target: '/root/.npmrc', mode: 0o400, readOnly: true, required: false }],
  ['type=secret,id=aws', { target: '/run/secrets/aws' }],
  ['type=secret,id=tok,env=TOKEN', { id: 'tok', env: 'TOKEN', target: '' }],
  ['type=secret,id=tok,env=TOKEN,target=/t', { env: 'TOKEN', target: '/t' }],
  ['type=secret,target=/run/secrets/foo', { id: 'foo' }],
  ['type=secret,source=mysecret', { id: 'mysecret', target: '/run/secrets/mysecret' }],
  ['type=secret,id=a,required', { required: true }],
  ['type=secret,id=a,required=false', { required: false }],
  ['type=secret,id=a,required=1', { required: true }],
  ['type=secret,id=a,mode=0440,uid=1,gid=2', { mode: 0o440, uid: 1, gid: 2 }],
  ['type=ssh', { type: 'ssh', id: 'default', mode: 0o600, required: false, target: '' }],
  ['type=ssh,id=github,required=true', { id: 'github', required: true }],
  ['type=ssh,target=/agent.sock,mode=0666', { target: '/agent.sock', mode: 0o666 }],
  ['type=bind,"source=a,b",target=/x', { source: 'a,b' }],
];

describe('parseMount', () => {
  for (const [spec, expected] of OK) test(spec, () => assertSubset(parseMount(spec), expected));
});

const ERR: Array<[string, RegExp]> = [
  ['type=volume,target=/x', /unsupported mount type "volume"/],
  ['type=cach,target=/x', /unsupported mount type "cach" \(did you mean cache\?\)/],
  ['type=bind', /mount type "bind" requires a target/],
  ['type=cache', /mount type "cache" requires a target/],
  ['type=tmpfs', /requires a target/],
  ['type=tmpfs,target=/x,mode=0755', /mode not allowed for "tmpfs" type mounts/],
  ['type=bind,target=/x,uid=1', /uid not allowed for "bind" type mounts/],
  ['type=bind,target=/x,gid=1', /gid not allowed/],
  ['type=bind,target=/x,sharing=shared', /invalid cache sharing set for bind mount/],
  ['type=cache,target=/x,sharing=bogus', /unsupported sharing value "bogus"/],
  ['type=secret,from=x,id=a', /secret mount should not have a from/],
  ['type=bind,target=/x,size=1m', /unexpected key 'size' for mount type 'bind'/],
  ['type=tmpfs,target=/x,size=lots', /invalid value for size: lots/],
  ['type=cache,target=/x,mode=999', /invalid value for mode: 999/],
  ['type=cache,target=/x,uid=-1', /invalid value for uid: -1/],
  ['type=cache,target=/x,foo=bar', /unexpected key 'foo' in 'foo=bar'/],
  ['type=cache,target=/x,tagret=/y', /did you mean target\?/],
  ['type=cache,target=/x,nonsense', /invalid field 'nonsense' must be a key=value pair/],
  ['type=bind,target=/x,required', /unexpected key 'required' for mount type 'bind'/],
  ['type=cache,target=/x,ro=maybe', /invalid value for ro: maybe/],
  ['type=secret,id=a,source=b', /both source and id can't be set/],
  ['type=secret', /one of id, source or target is required/],
  ['type=bind,env=X,target=/x', /unexpected key 'env' for mount type 'bind'/],
  ['type=bind,"target=/x', /quoted-field/],
  ['type=bind,tar"get=/x', /bare "/],
];

describe('parseMount errors', () => {
  for (const [spec, re] of ERR) {
    test(spec, () => assert.throws(() => parseMount(spec), (e: unknown) => e instanceof DockerfileError && re.test(e.message)));
  }
});

describe('mount helpers', () => {
  const RAM: Array<[string, number | undefined]> = [
    ['64m', 64 * 1024 ** 2], ['1g', 1024 ** 3], ['512', 512], ['1.5k', 1536], ['10MiB', 10 * 1024 ** 2], ['2 GB', 2 * 1024 ** 3], ['abc', undefined], ['-1m', undefined],
  ];
  for (const [s, n] of RAM) test(`size ${s}`, () => assert.equal(parseRamBytes(s), n));
  test('csv with quotes', () => assert.deepEqual(splitCsv('a,"b,c",d'), ['a', 'b,c', 'd']));
  test('csv with doubled quote', () => assert.deepEqual(splitCsv('"x""y"'), ['x"y']));
  test('csv empty fields', () => assert.deepEqual(splitCsv('a,,b'), ['a', '', 'b']));
});

describe('mount values are expanded at dispatch', () => {
  test('target, id and from see ARG/ENV', () => {
    const run = one('RUN --mount=type=cache,id=$CACHE_ID,target=${HOME}/.cache,sharing=locked true') as RunInstruction;
    assertSubset(run.mounts[0], { id: '$CACHE_ID', target: '${HOME}/.cache' });
    const env = new Map([['CACHE_ID', 'pip'], ['HOME', '/root']]);
    const r = expandInstruction(run, env);
    assertSubset(r.instruction.mounts[0], { type: 'cache', id: 'pip', target: '/root/.cache', sharing: 'locked' });
    assert.deepEqual([...r.used].sort(), ['CACHE_ID', 'HOME']);
  });
  test('the command itself is not expanded', () => {
    const r = expandInstruction(one('RUN echo $HOME') as RunInstruction, new Map([['HOME', '/root']]));
    assert.deepEqual(r.instruction.command, ['echo $HOME']);
  });
  test('the mount type is checked when parsing, before expansion (as BuildKit does)', () => {
    assert.throws(() => one('RUN --mount=type=$T,target=/x true'), /unsupported mount type "\$T"/);
  });
});
