// Authentication and per-repository permissions: htpasswd (bcrypt) with Basic
// auth, and the Bearer challenge flow with the built-in token endpoint.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { tempRoot, type TempRoot } from '../helpers.js';
import { errorCode, http, makeImage, pushBlob, pushImage, randomBlob, startRegistry, type RegistryProc } from './helpers.js';

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

function writeAuthFiles(dir: string): { htpasswd: string; access: string } {
  const htpasswd = join(dir, 'htpasswd');
  // $2y$ is what `htpasswd -B` writes
  writeFileSync(htpasswd, ['alice', 'bob', 'carol'].map((u) => `${u}:${bcrypt.hashSync(`${u}-pw`, 5).replace(/^\$2b\$/, '$2y$')}`).join('\n') + '\n');
  const access = join(dir, 'access');
  writeFileSync(
    access,
    ['# who  repos  actions', 'alice  *  *', 'bob    team/*  pull', 'bob    bob/*   pull,push', 'carol  team/*  pull,push,delete', 'anonymous  public/*  pull', ''].join('\n'),
  );
  return { htpasswd, access };
}

/** Parses `Bearer realm="…",service="…",scope="…"`. */
function challenge(h: string | string[] | undefined): Record<string, string> {
  const s = String(h);
  assert.match(s, /^Bearer /);
  const out: Record<string, string> = {};
  for (const m of s.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

describe('registry auth: Basic with htpasswd and an access file', () => {
  let tmp: TempRoot;
  let reg: RegistryProc;
  before(async () => {
    tmp = tempRoot('tug-reg-basic-');
    const f = writeAuthFiles(tmp.root);
    reg = await startRegistry(tmp.root, ['--htpasswd', f.htpasswd, '--access', f.access, '--auth', 'basic']);
  });
  after(async () => {
    await reg.stop();
    tmp.cleanup();
  });

  it('challenges without credentials, refuses wrong ones, accepts right ones', async () => {
    const none = await http('GET', `${reg.base}/v2/`);
    assert.equal(none.status, 200, 'anonymous users have rules (public/*), so the version check answers');
    const pushAnon = await pushBlob(reg.base, 'team/app', randomBlob(10).data);
    assert.equal(pushAnon.status, 401);
    assert.equal(pushAnon.headers['www-authenticate'], 'Basic realm="tug-registry"');
    const wrong = await http('GET', `${reg.base}/v2/`, { headers: { Authorization: basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    assert.equal(errorCode(wrong), 'UNAUTHORIZED');
    assert.equal((await http('GET', `${reg.base}/v2/`, { headers: { Authorization: basic('alice', 'alice-pw') } })).status, 200);
  });

  it('per-repository pull/push/delete: 403 DENIED for an authenticated user without the right', async () => {
    const img = makeImage({ layers: 1 });
    assert.equal((await pushImage(reg.base, 'team/app', img, 'v1', { Authorization: basic('carol', 'carol-pw') })).status, 201);
    const bobPull = await http('GET', `${reg.base}/v2/team/app/manifests/v1`, { headers: { Authorization: basic('bob', 'bob-pw') } });
    assert.equal(bobPull.status, 200);
    const bobPush = await pushBlob(reg.base, 'team/app', randomBlob(10).data, { Authorization: basic('bob', 'bob-pw') });
    assert.equal(bobPush.status, 403);
    assert.equal(errorCode(bobPush), 'DENIED');
    const bobDelete = await http('DELETE', `${reg.base}/v2/team/app/manifests/v1`, { headers: { Authorization: basic('bob', 'bob-pw') } });
    assert.equal(bobDelete.status, 403);
    assert.equal((await pushBlob(reg.base, 'bob/own', randomBlob(10).data, { Authorization: basic('bob', 'bob-pw') })).status, 201);
    // anonymous: pull on public/* only
    await pushImage(reg.base, 'public/base', img, 'v1', { Authorization: basic('alice', 'alice-pw') });
    assert.equal((await http('GET', `${reg.base}/v2/public/base/manifests/v1`)).status, 200);
    assert.equal((await http('GET', `${reg.base}/v2/team/app/manifests/v1`)).status, 401);
    // the catalog shows what the caller may pull
    const cat = await http('GET', `${reg.base}/v2/_catalog`, { headers: { Authorization: basic('bob', 'bob-pw') } });
    assert.deepEqual(cat.json().repositories, ['bob/own', 'public/base', 'team/app']);
  });

  it('cross-repository mount needs read access to the source: 202 without it, 201 with it', async () => {
    const b = randomBlob(2000);
    assert.equal((await pushBlob(reg.base, 'private/src', b.data, { Authorization: basic('alice', 'alice-pw') })).status, 201);
    const bob = await http('POST', `${reg.base}/v2/bob/copy/blobs/uploads/?mount=${b.digest}&from=private/src`, { headers: { Authorization: basic('bob', 'bob-pw') } });
    assert.equal(bob.status, 202);
    assert.equal((await http('HEAD', `${reg.base}/v2/bob/copy/blobs/${b.digest}`, { headers: { Authorization: basic('bob', 'bob-pw') } })).status, 404);
    const alice = await http('POST', `${reg.base}/v2/team/copy/blobs/uploads/?mount=${b.digest}&from=private/src`, { headers: { Authorization: basic('alice', 'alice-pw') } });
    assert.equal(alice.status, 201);
  });
});

describe('registry auth: Bearer tokens from the built-in token endpoint', () => {
  let tmp: TempRoot;
  let reg: RegistryProc;
  before(async () => {
    tmp = tempRoot('tug-reg-token-');
    const f = writeAuthFiles(tmp.root);
    reg = await startRegistry(tmp.root, ['--htpasswd', f.htpasswd, '--access', f.access]);
  });
  after(async () => {
    await reg.stop();
    tmp.cleanup();
  });

  async function token(scope: string[], auth?: string): Promise<{ status: number; token?: string }> {
    const q = new URLSearchParams([['service', 'tug-registry'], ...scope.map((s) => ['scope', s])]);
    const r = await http('GET', `${reg.base}/token?${q}`, auth ? { headers: { Authorization: auth } } : {});
    return { status: r.status, token: r.status === 200 ? r.json<{ token: string }>().token : undefined };
  }

  it('challenge → token → access, with the scope the request needs', async () => {
    const ping = await http('GET', `${reg.base}/v2/`);
    assert.equal(ping.status, 401);
    const c0 = challenge(ping.headers['www-authenticate']);
    assert.equal(c0.realm, `${reg.base}/token`);
    assert.equal(c0.service, 'tug-registry');
    const post = await http('POST', `${reg.base}/v2/team/app/blobs/uploads/`);
    assert.equal(post.status, 401);
    assert.equal(challenge(post.headers['www-authenticate']).scope, 'repository:team/app:push');
    const t = await token(['repository:team/app:pull,push'], basic('carol', 'carol-pw'));
    assert.equal(t.status, 200);
    const auth = { Authorization: `Bearer ${t.token}` };
    assert.equal((await http('GET', `${reg.base}/v2/`, { headers: auth })).status, 200);
    const img = makeImage({ layers: 1 });
    assert.equal((await pushImage(reg.base, 'team/app', img, 'v1', auth)).status, 201);
    assert.equal((await http('GET', `${reg.base}/v2/team/app/manifests/v1`, { headers: auth })).status, 200);
    // the token is for team/app only
    const other = await http('GET', `${reg.base}/v2/team/other/tags/list`, { headers: auth });
    assert.equal(other.status, 401);
    assert.equal(challenge(other.headers['www-authenticate']).scope, 'repository:team/other:pull');
  });

  it('tokens carry only what the access file allows; bad passwords and forged tokens are refused', async () => {
    const t = await token(['repository:team/app:pull,push'], basic('bob', 'bob-pw'));
    const payload = JSON.parse(Buffer.from(t.token!.split('.')[1], 'base64url').toString()) as { sub: string; access: Array<{ name: string; actions: string[] }> };
    assert.equal(payload.sub, 'bob');
    assert.deepEqual(payload.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    const push = await pushBlob(reg.base, 'team/app', randomBlob(10).data, { Authorization: `Bearer ${t.token}` });
    assert.equal(push.status, 401);
    assert.equal(errorCode(push), 'UNAUTHORIZED');
    assert.equal((await token(['repository:team/app:pull'], basic('bob', 'wrong'))).status, 401);
    // a token whose claims were edited no longer verifies
    const [h, , s] = t.token!.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }] })).toString('base64url');
    const forged = await pushBlob(reg.base, 'team/app', randomBlob(10).data, { Authorization: `Bearer ${h}.${forgedBody}.${s}` });
    assert.equal(forged.status, 401);
  });

  it('anonymous tokens grant what anonymous users may do (public/* pull)', async () => {
    const alice = await token(['repository:public/lib:push,pull'], basic('alice', 'alice-pw'));
    await pushImage(reg.base, 'public/lib', makeImage({ layers: 1 }), 'v1', { Authorization: `Bearer ${alice.token}` });
    const anon = await token(['repository:public/lib:pull,push', 'repository:team/app:pull']);
    assert.equal(anon.status, 200);
    const a = { Authorization: `Bearer ${anon.token}` };
    assert.equal((await http('GET', `${reg.base}/v2/public/lib/manifests/v1`, { headers: a })).status, 200);
    assert.equal((await http('GET', `${reg.base}/v2/team/app/manifests/v1`, { headers: a })).status, 401);
    assert.equal((await pushBlob(reg.base, 'public/lib', randomBlob(10).data, a)).status, 401);
  });

  it('the catalog needs registry:catalog:* and lists what the user may pull', async () => {
    const r = await http('GET', `${reg.base}/v2/_catalog`);
    assert.equal(r.status, 401);
    assert.equal(challenge(r.headers['www-authenticate']).scope, 'registry:catalog:*');
    const t = await token(['registry:catalog:*'], basic('bob', 'bob-pw'));
    const cat = await http('GET', `${reg.base}/v2/_catalog`, { headers: { Authorization: `Bearer ${t.token}` } });
    assert.equal(cat.status, 200);
    assert.deepEqual(cat.json().repositories, ['public/lib', 'team/app']);
  });

  it('OAuth2 POST /token with grant_type=password', async () => {
    const form = new URLSearchParams({ grant_type: 'password', username: 'carol', password: 'carol-pw', service: 'tug-registry', scope: 'repository:team/app:pull', client_id: 'test' });
    const r = await http('POST', `${reg.base}/token`, { body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 200);
    const tok = r.json<{ access_token: string }>().access_token;
    assert.equal((await http('GET', `${reg.base}/v2/team/app/tags/list`, { headers: { Authorization: `Bearer ${tok}` } })).status, 200);
  });
});
