// The bearer-token flow against Debian's docker-registry configured for token
// auth: the registry (real distribution code) issues the challenges and
// verifies every token's signature, issuer, audience and per-repository
// access; the token endpoint here grants what its one user asks for, signed
// with a key whose certificate the registry trusts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { haveBusybox, tempRoot, tug, type TempRoot } from '../helpers.js';
import { freePort, haveDockerRegistry, startDockerRegistry } from './fixture.js';
import { seedBusybox } from './seed.js';
import { ImageService } from '../../src/image/service.js';
import { closeAll } from '../../src/meta/db.js';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

test('bearer tokens against docker-registry token auth', { skip: !(haveDockerRegistry() && haveBusybox()) && 'needs docker-registry' }, async (t) => {
  const dir = mkdtempSync('/var/tmp/tug-tokenauth-');
  const roots: TempRoot[] = [];
  const newRoot = (): string => {
    const r = tempRoot('tug-dist-');
    roots.push(r);
    return r.root;
  };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=tug token signer'], { cwd: dir, stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
  const requests: Array<{ scopes: string[]; account?: string }> = [];
  const tokenPort = await freePort();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    const ok = auth === `Basic ${Buffer.from('dave:pw-dave').toString('base64')}`;
    const scopes = url.searchParams.getAll('scope');
    requests.push({ scopes, account: url.searchParams.get('account') ?? undefined });
    if (!ok) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':');
      return { type, name, actions: actions.split(',') };
    });
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: 'tug-test-issuer', sub: 'dave', aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), key));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(tokenPort, '127.0.0.1', r));
  const reg = await startDockerRegistry({
    authYaml: `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: tug-test-registry\n    issuer: tug-test-issuer\n    rootcertbundle: ${join(dir, 'cert.pem')}\n`,
  });
  const cfg = mkdtempSync('/var/tmp/tug-dockercfg-');
  const env = { DOCKER_CONFIG: cfg };
  t.after(async () => {
    closeAll();
    await reg.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    for (const r of roots) r.cleanup();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cfg, { recursive: true, force: true });
  });

  const src = newRoot();
  await seedBusybox(src, [`${reg.host}/team/app:1`, `${reg.host}/team/copy:1`]);

  await t.test('login fetches a token with basic credentials; a wrong password fails', async () => {
    const bad = await tug(['login', '-u', 'dave', '--password-stdin', reg.host], { root: src, env, input: 'nope' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /failed with status: 401 Unauthorized/);
    const r = await tug(['login', '-u', 'dave', '--password-stdin', reg.host], { root: src, env, input: 'pw-dave' });
    assert.equal(r.code, 0, r.stderr);
  });

  await t.test('push asks for pull,push on the repository; mount adds pull on the source', async () => {
    requests.length = 0;
    const r = await tug(['push', `${reg.host}/team/app:1`], { root: src, env });
    assert.equal(r.code, 0, r.stderr + reg.log().slice(-2000));
    assert.ok(requests.some((q) => q.scopes.includes('repository:team/app:pull,push')), JSON.stringify(requests));
    assert.ok(requests.every((q) => q.account === 'dave'));
    const digest = /^1: digest: (sha256:[0-9a-f]{64})/m.exec(r.stdout)?.[1];
    // async: skopeo needs a token from the endpoint that runs in this process
    const { stdout: raw } = await promisify(execFile)('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'dave:pw-dave', `docker://${reg.host}/team/app:1`], { encoding: 'buffer' });
    assert.equal(digest, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    requests.length = 0;
    const m = await tug(['push', `${reg.host}/team/copy:1`], { root: src, env });
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^[0-9a-f]{12}: Mounted from team\/app$/m);
    assert.ok(requests.some((q) => q.scopes.includes('repository:team/app:pull') && q.scopes.includes('repository:team/copy:pull,push')), JSON.stringify(requests));
  });

  await t.test('pull with the stored credentials, tokens reused across requests', async () => {
    requests.length = 0;
    const dst = newRoot();
    const r = await tug(['pull', `${reg.host}/team/app:1`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ImageService.open(dst).resolve(`${reg.host}/team/app:1`).manifestDigest, ImageService.open(src).resolve(`${reg.host}/team/app:1`).manifestDigest);
    // one token for the whole pull: manifest, config and layer requests share the scope
    assert.equal(requests.length, 1, JSON.stringify(requests));
  });
});
