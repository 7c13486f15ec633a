// Routes of the OCI distribution API (v2) and the token endpoint, over the
// registry service. Each route names the access it needs, streams bodies
// straight between the socket and the content store, and turns errors into
// the spec's JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isTugError } from '../../util/errors.js';
import type { Authorizer, Caller, Need } from '../auth/authorizer.js';
import { RegistryError, isRegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { MAX_MANIFEST_BYTES } from '../manifest.js';
import { checkDigest, checkName, isValidName } from '../names.js';
import type { RegistryService } from '../service.js';
import { sendFile } from './send-file.js';
import { contentLength, hasBody, header, parseContentRange, parseRange, readSmallBody, sendEmpty, sendError, sendJson } from './request.js';

export interface HandlerOptions {
  service: RegistryService;
  auth: Authorizer;
  log: Logger;
  readOnly?: boolean;
  /** "http" or "https", for the token realm when none is configured. */
  scheme: string;
}

type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'token' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string };

const BASE_HEADERS = { 'Docker-Distribution-API-Version': 'registry/2.0' };

/** Matches the raw path (never normalised, so "../" stays visible and fails name validation). */
function route(path: string): Route | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (path === '/token' || path === '/v2/token') return { kind: 'token' };
  if (!path.startsWith('/v2/')) return undefined;
  const rest = path.slice(4);
  let m = /^(.+)\/tags\/list$/.exec(rest);
  if (m) return { kind: 'tags', name: m[1] };
  m = /^(.+)\/blobs\/uploads\/?([^/]*)$/.exec(rest);
  if (m) return { kind: 'uploads', name: m[1], id: m[2] };
  m = /^(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(rest);
  if (!m) return undefined;
  const ref = decodeURIComponent(m[3]);
  if (m[2] === 'manifests') return { kind: 'manifest', name: m[1], ref };
  if (m[2] === 'blobs') return { kind: 'blob', name: m[1], digest: ref };
  return { kind: 'referrers', name: m[1], digest: ref };
}

const MUTATING = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

export function createHandler(opts: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { service, auth, log } = opts;

  const origin = (req: IncomingMessage): string => `${opts.scheme}://${header(req, 'host') ?? 'localhost'}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';
    for (const [k, v] of Object.entries(BASE_HEADERS)) res.setHeader(k, v);
    const r = route(path);
    if (!r) throw new RegistryError('UNSUPPORTED', 'no such endpoint', { path: path.slice(0, 200) }, { status: 404 });
    if (r.kind === 'token') return token(req, res, query);
    if ('name' in r && !isValidName(r.name)) checkName(r.name);
    const caller = await auth.identify(header(req, 'authorization'));
    (res as ServerResponse & { caller?: Caller }).caller = caller;
    if (opts.readOnly && MUTATING.has(method) && r.kind !== 'base') throw new RegistryError('UNSUPPORTED', 'the registry is in read-only mode', undefined, { status: 405 });
    const need = (...needs: Need[]): void => auth.require(caller, needs, origin(req));

    switch (r.kind) {
      case 'base':
        if (!auth.canPing(caller)) throw auth.challenge([], origin(req), caller.badCredentials ? 'invalid credentials' : 'authentication required');
        return sendJson(res, 200, {});
      case 'catalog':
        return catalog(req, res, caller, query);
      case 'tags': {
        allow(method, ['GET', 'HEAD']);
        need({ repo: r.name, action: 'pull' });
        const n = pageSize(query);
        const last = query.get('last') ?? undefined;
        const { tags, more } = service.listTags(r.name, n, last);
        const headers: Record<string, string> = {};
        if (more && tags.length) headers.Link = `</v2/${r.name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1])}>; rel="next"`;
        return sendJson(res, 200, { name: r.name, tags }, headers);
      }
      case 'manifest':
        return manifest(req, res, r.name, r.ref, need);
      case 'blob':
        return blob(req, res, r.name, r.digest, need);
      case 'uploads':
        return uploads(req, res, r.name, r.id, query, caller, need);
      case 'referrers': {
        allow(method, ['GET', 'HEAD']);
        need({ repo: r.name, action: 'pull' });
        const artifactType = query.get('artifactType') ?? undefined;
        const index = service.referrers(r.name, r.digest, artifactType);
        return sendJson(res, 200, index, artifactType !== undefined ? { 'OCI-Filters-Applied': 'artifactType' } : {}, 'application/vnd.oci.image.index.v1+json');
      }
    }
  }

  function allow(method: string, methods: string[]): void {
    if (!methods.includes(method)) throw new RegistryError('UNSUPPORTED', `method ${method} not allowed here`, undefined, { status: 405, headers: { Allow: methods.join(', ') } });
  }

  function pageSize(query: URLSearchParams): number | undefined {
    const n = query.get('n');
    if (n === null || n === '') return undefined;
    if (!/^\d+$/.test(n)) throw new RegistryError('UNSUPPORTED', 'n must be a non-negative integer', { n: n.slice(0, 50) }, { status: 400 });
    return Number(n);
  }

  function catalog(req: IncomingMessage, res: ServerResponse, caller: Caller, query: URLSearchParams): void {
    allow(req.method ?? 'GET', ['GET', 'HEAD']);
    let visible: (repo: string) => boolean;
    if (auth.mode === 'token') {
      const granted = (caller.grants ?? []).some((g) => g.type === 'registry' && g.name === 'catalog');
      if (!granted) {
        const e = auth.challenge([], origin(req), 'authentication required');
        e.headers['WWW-Authenticate'] += ',scope="registry:catalog:*"';
        throw e;
      }
      visible = (repo) => auth.opts.policy.can(caller.identity, repo, 'pull');
    } else {
      if (!auth.canPing(caller)) throw auth.challenge([], origin(req));
      visible = (repo) => auth.can(caller, { repo, action: 'pull' });
    }
    const n = pageSize(query);
    const { repositories, more } = service.catalog(n, query.get('last') ?? undefined, visible);
    const headers: Record<string, string> = {};
    if (more && repositories.length) headers.Link = `</v2/_catalog?n=${n}&last=${encodeURIComponent(repositories[repositories.length - 1])}>; rel="next"`;
    sendJson(res, 200, { repositories }, headers);
  }

  async function manifest(req: IncomingMessage, res: ServerResponse, name: string, ref: string, need: (...n: Need[]) => void): Promise<void> {
    const method = req.method ?? 'GET';
    allow(method, ['GET', 'HEAD', 'PUT', 'DELETE']);
    if (method === 'GET' || method === 'HEAD') {
      need({ repo: name, action: 'pull' });
      const m = method === 'GET' ? await service.getManifest(name, ref) : await service.statManifest(name, ref);
      res.setHeader('Content-Type', m.mediaType);
      res.setHeader('Content-Length', m.size);
      res.setHeader('Docker-Content-Digest', m.digest);
      res.setHeader('ETag', `"${m.digest}"`);
      res.statusCode = 200;
      res.end('body' in m ? m.body : undefined);
      return;
    }
    if (method === 'PUT') {
      need({ repo: name, action: 'push' });
      checkName(name);
      const body = await readSmallBody(req, MAX_MANIFEST_BYTES);
      const { digest, subject } = await service.putManifest(name, ref, header(req, 'content-type'), body);
      const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest };
      if (subject) headers['OCI-Subject'] = subject;
      return sendEmpty(res, 201, headers);
    }
    need({ repo: name, action: 'delete' });
    service.deleteManifest(name, ref);
    sendEmpty(res, 202);
  }

  async function blob(req: IncomingMessage, res: ServerResponse, name: string, digest: string, need: (...n: Need[]) => void): Promise<void> {
    const method = req.method ?? 'GET';
    allow(method, ['GET', 'HEAD', 'DELETE']);
    if (method === 'DELETE') {
      need({ repo: name, action: 'delete' });
      service.deleteBlob(name, digest);
      return sendEmpty(res, 202);
    }
    need({ repo: name, action: 'pull' });
    const st = await service.statBlob(name, digest);
    res.setHeader('Docker-Content-Digest', st.digest);
    res.setHeader('ETag', `"${st.digest}"`);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'max-age=31536000');
    const range = parseRange(header(req, 'range'), st.size);
    if (range === 'unsatisfiable') {
      throw new RegistryError('RANGE_INVALID', 'requested range is not satisfiable', undefined, { headers: { 'Content-Range': `bytes */${st.size}` } });
    }
    if (range) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${st.size}`);
      res.setHeader('Content-Length', range.end - range.start + 1);
    } else {
      res.statusCode = 200;
      res.setHeader('Content-Length', st.size);
    }
    if (method === 'HEAD') {
      res.end();
      return;
    }
    const source = await service.openBlob(name, digest, range);
    try {
      if ('pipe' in source) await pipeline(source, res);
      else await sendFile(source, res, range?.start ?? 0, range ? range.end : st.size - 1);
    } catch (e) {
      // the client went away mid-download: nothing to answer
      log.debug(`blob ${digest} to ${req.socket.remoteAddress}: ${(e as Error).message}`);
    }
  }

  async function uploads(req: IncomingMessage, res: ServerResponse, name: string, id: string, query: URLSearchParams, caller: Caller, need: (...n: Need[]) => void): Promise<void> {
    const method = req.method ?? 'GET';
    checkName(name);
    if (id === '') {
      allow(method, ['POST']);
      const mount = query.get('mount');
      const from = query.get('from');
      if (mount) {
        checkDigest(mount);
        need({ repo: name, action: 'push' });
        // 201 only when the caller may read the source repository and it holds the blob
        if (from && isValidName(from) && auth.can(caller, { repo: from, action: 'pull' })) {
          const mounted = await service.mount(name, from, mount);
          if (mounted) {
            req.resume();
            return sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${mounted.digest}`, 'Docker-Content-Digest': mounted.digest });
          }
        }
      }
      need({ repo: name, action: 'push' });
      const digest = query.get('digest');
      if (digest !== null) {
        checkDigest(digest);
        // monolithic upload in one POST
        const { id: uid } = await service.startUpload(name);
        try {
          const blob = await service.finishUpload(name, uid, digest, req, undefined, contentLength(req));
          return sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${blob.digest}`, 'Docker-Content-Digest': blob.digest });
        } catch (e) {
          await service.cancelUpload(name, uid).catch(() => {});
          throw e;
        }
      }
      req.resume();
      const { id: uid, offset } = await service.startUpload(name);
      return sendEmpty(res, 202, service.uploads.headers(name, uid, offset));
    }
    allow(method, ['GET', 'PATCH', 'PUT', 'DELETE']);
    need({ repo: name, action: 'push' });
    if (method === 'GET') {
      const offset = await service.uploadStatus(name, id);
      return sendEmpty(res, 204, service.uploads.headers(name, id, offset));
    }
    if (method === 'DELETE') {
      await service.cancelUpload(name, id);
      return sendEmpty(res, 204);
    }
    const range = parseContentRange(header(req, 'content-range'));
    const len = contentLength(req);
    if (method === 'PATCH') {
      const offset = await service.appendUpload(name, id, req, range, len);
      return sendEmpty(res, 202, service.uploads.headers(name, id, offset));
    }
    const blob = await service.finishUpload(name, id, query.get('digest'), hasBody(req) ? req : undefined, range, len);
    if (!hasBody(req)) req.resume();
    sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${blob.digest}`, 'Docker-Content-Digest': blob.digest });
  }

  async function token(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    allow(method, ['GET', 'POST']);
    let authorization = header(req, 'authorization');
    let scopes = query.getAll('scope');
    let service_ = query.get('service');
    if (method === 'POST') {
      // OAuth2 form (containerd, newer docker): grant_type=password with username/password
      const form = new URLSearchParams((await readSmallBody(req, 64 * 1024)).toString('utf8'));
      scopes = form.getAll('scope');
      service_ = form.get('service');
      const user = form.get('username');
      if (form.get('grant_type') === 'password' && user !== null) {
        authorization = `Basic ${Buffer.from(`${user}:${form.get('password') ?? ''}`).toString('base64')}`;
      } else if (form.get('grant_type') === 'refresh_token') {
        return sendJson(res, 400, { error: 'unsupported_grant_type' });
      }
    }
    const out = await auth.issueToken(authorization, scopes, service_);
    sendJson(res, out.status, out.body, out.headers);
  }

  return (req, res) => {
    const started = Date.now();
    res.on('finish', () => {
      if (log.enabled('info')) {
        const who = (res as ServerResponse & { caller?: Caller }).caller?.identity.user ?? '-';
        log.info(`${req.socket.remoteAddress ?? '-'} ${who} "${req.method} ${(req.url ?? '').slice(0, 300)}" ${res.statusCode} ${res.getHeader('content-length') ?? '-'} ${Date.now() - started}ms`);
      }
    });
    handle(req, res).catch((e: unknown) => {
      if (isRegistryError(e)) return sendError(req, res, e);
      if (isTugError(e, 'INVALID_ARGUMENT') || isTugError(e, 'NOT_FOUND')) return sendError(req, res, new RegistryError('BLOB_UNKNOWN', e.message, undefined, { status: isTugError(e, 'NOT_FOUND') ? 404 : 400 }));
      // a client that vanished mid-body is not a server error
      const code = (e as { code?: string }).code;
      const aborted = req.destroyed || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (e as Error).message === 'aborted';
      if (aborted && (res.destroyed || req.socket.destroyed)) {
        log.debug(`${req.method} ${req.url}: client went away: ${(e as Error).message}`);
        return;
      }
      if (aborted) return sendError(req, res, new RegistryError('BLOB_UPLOAD_INVALID', 'request body ended early'));
      log.error(`${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
      else res.destroy();
    });
  };
}
