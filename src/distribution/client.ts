// The distribution-protocol client for one registry host: every request goes
// through `send`, which adds auth (answering challenges once) and retries
// connection failures and 5xx with exponential backoff. Above it sit the
// protocol's operations (manifests, blobs, uploads, tags), each a few lines.
import { createHash } from 'node:crypto';
import { MediaType } from '../oci/mediatypes.js';
import type { Digest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { Authenticator, repoScope } from './auth.js';
import { getCredentials, type Credentials } from './credentials.js';
import { isRetryableStatus, registryError } from './errors.js';
import { endpointFor, type RegistryEndpoint, type RegistryOptions } from './registries.js';
import type https from 'node:https';
import { ConnectionError, request, tlsAgent, type Headers, type HttpRequest, type HttpResponse, type ReplayableBody } from './transport.js';

export const MANIFEST_ACCEPT = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

/** The spec's recommended limit for manifests; larger ones are refused. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ClientOptions extends RegistryOptions {
  /** Retries after the first attempt for connection errors and 5xx (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry (default 250). */
  backoffMs?: number;
  /** Use these instead of the stored credentials (tug login verifies them this way). */
  credentials?: Credentials;
}

export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export interface UploadSession {
  location: URL;
}

export interface SendOptions {
  /** Retry on connection errors and 5xx (the body must be replayable; default true). */
  retry?: boolean;
  /** Statuses that are answers rather than errors for this call. */
  ok?: number[];
  idleTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const clients = new Map<string, RegistryClient>();

export class RegistryClient {
  readonly endpoint: RegistryEndpoint;
  readonly auth: Authenticator;
  private connectedOnce = false;
  private readonly agent?: https.Agent;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(host: string, opts: ClientOptions = {}) {
    this.endpoint = endpointFor(host, opts);
    const env = opts.env ?? process.env;
    const given = opts.credentials;
    this.agent = this.endpoint.tls ? tlsAgent(this.endpoint.tls) : undefined;
    this.auth = new Authenticator(host, () => (given ? Promise.resolve(given) : getCredentials(host, env)), this.agent);
    this.retries = opts.retries ?? Number(env.TUG_REGISTRY_RETRIES ?? 4);
    this.backoffMs = opts.backoffMs ?? 250;
  }

  /** One client per host per process, so tokens and connections are shared. */
  static for(host: string, opts: ClientOptions = {}): RegistryClient {
    const key = `${host}|${(opts.insecure ?? []).join(',')}|${opts.root ?? ''}`;
    let c = clients.get(key);
    if (!c) {
      c = new RegistryClient(host, opts);
      clients.set(key, c);
    }
    return c;
  }

  get host(): string {
    return this.endpoint.host;
  }

  url(path: string): URL {
    return new URL(path, this.endpoint.base);
  }

  /** Sends a request with auth for `scopes`, retrying what is safe to retry. */
  async send(req: Omit<HttpRequest, 'headers'> & { headers?: Headers }, scopes: string[], opts: SendOptions = {}): Promise<HttpResponse> {
    const retry = opts.retry ?? true;
    const want = [...scopes];
    let authRetried = 0;
    for (let attempt = 0; ; attempt++) {
      const auth = await this.auth.header(want);
      let res: HttpResponse;
      try {
        res = await request({ ...req, agent: this.agent, idleTimeoutMs: opts.idleTimeoutMs ?? req.idleTimeoutMs, headers: { ...req.headers, ...(auth ? { Authorization: auth } : {}) } });
      } catch (e) {
        // a host that never answered is most likely not there: fail fast
        const refusedFirst = e instanceof ConnectionError && e.errno === 'ECONNREFUSED' && !this.connectedOnce;
        if (retry && !refusedFirst && e instanceof ConnectionError && attempt < this.retries) {
          await sleep(this.backoffMs * 2 ** attempt);
          continue;
        }
        throw e;
      }
      this.connectedOnce = true;
      if (res.status === 401 && authRetried < 2 && this.auth.onUnauthorized(res, want, auth)) {
        authRetried++;
        await res.drain();
        attempt--;
        continue;
      }
      if (retry && isRetryableStatus(res.status) && !(opts.ok ?? []).includes(res.status) && attempt < this.retries) {
        await res.drain();
        const after = Number(res.header('retry-after'));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : this.backoffMs * 2 ** attempt);
        continue;
      }
      return res;
    }
  }

  /** GET /v2/: checks that the registry speaks the protocol and that our credentials work. */
  async ping(): Promise<void> {
    const res = await this.send({ method: 'GET', url: this.url('/v2/') }, []);
    if (res.status === 200) {
      await res.drain();
      return;
    }
    throw await registryError(res, `login to ${this.host}`, this.host);
  }

  async getManifest(repository: string, reference: string, display = `${repository}:${reference}`): Promise<FetchedManifest> {
    const res = await this.send(
      { method: 'GET', url: this.url(`/v2/${repository}/manifests/${reference}`), headers: { Accept: MANIFEST_ACCEPT } },
      [repoScope(repository, 'pull')],
    );
    if (res.status !== 200) throw await manifestError(res, repository, display, this.host);
    const len = Number(res.header('content-length') ?? 0);
    if (len > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new TugError('REGISTRY', `manifest for ${display} is ${len} bytes, over the 4 MiB limit`);
    }
    const bytes = Buffer.from(await res.text(MAX_MANIFEST_BYTES), 'utf8');
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new TugError('DIGEST_MISMATCH', `manifest for ${display} has digest ${digest}, not the requested ${reference}`, {
        hint: 'the registry sent wrong content; nothing was stored',
      });
    }
    const mediaType = manifestMediaType(bytes, res.header('content-type'));
    return { digest, mediaType, bytes };
  }

  /** HEAD of a manifest: its digest and media type, or undefined when absent. */
  async headManifest(repository: string, reference: string): Promise<{ digest?: Digest; mediaType?: string; size: number } | undefined> {
    const res = await this.send(
      { method: 'HEAD', url: this.url(`/v2/${repository}/manifests/${reference}`), headers: { Accept: MANIFEST_ACCEPT } },
      [repoScope(repository, 'pull')],
    );
    await res.drain();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await manifestError(res, repository, `${repository}:${reference}`, this.host);
    return { digest: res.header('docker-content-digest'), mediaType: res.header('content-type'), size: Number(res.header('content-length') ?? 0) };
  }

  /** Size of a blob in the repository, or undefined when it is not there. */
  async headBlob(repository: string, digest: Digest, actions = 'pull'): Promise<number | undefined> {
    const res = await this.send({ method: 'HEAD', url: this.url(`/v2/${repository}/blobs/${digest}`) }, [repoScope(repository, actions)]);
    await res.drain();
    if (res.status === 200) return Number(res.header('content-length') ?? 0);
    if (res.status === 404) return undefined;
    throw await registryError(res, `blob ${digest} in ${repository}`, this.host);
  }

  /**
   * GET a blob from `offset` on. Resolves to the response (200 = from the
   * start, 206 = from offset); the caller streams and verifies the body.
   */
  async getBlob(repository: string, digest: Digest, offset = 0): Promise<HttpResponse> {
    const headers: Headers = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.send({ method: 'GET', url: this.url(`/v2/${repository}/blobs/${digest}`), headers }, [repoScope(repository, 'pull')], { idleTimeoutMs: 60_000 });
    if (res.status === 200 || res.status === 206) return res;
    if (res.status === 307 || res.status === 302 || res.status === 301 || res.status === 303) {
      // storage backends redirect blob GETs; the target needs no registry auth
      const loc = res.header('location');
      await res.drain();
      if (!loc) throw new TugError('REGISTRY', `registry ${this.host} redirected blob ${digest} without a Location`);
      const target = new URL(loc, res.url);
      const r2 = await request({ method: 'GET', url: target, headers, agent: target.host === res.url.host ? this.agent : undefined });
      if (r2.status === 200 || r2.status === 206) return r2;
      throw await registryError(r2, `blob ${digest}`, this.host);
    }
    if (res.status === 416 && offset > 0) {
      await res.drain();
      return this.getBlob(repository, digest, 0);
    }
    throw await registryError(res, `blob ${digest} in ${repository}`, this.host);
  }

  /**
   * Starts an upload, or mounts `digest` from `from` (same registry). Returns
   * 'mounted' when the registry linked the blob without any upload.
   */
  async startUpload(repository: string, mount?: { digest: Digest; from: string }): Promise<UploadSession | 'mounted'> {
    const url = this.url(`/v2/${repository}/blobs/uploads/`);
    const scopes = [repoScope(repository, 'pull,push')];
    if (mount) {
      url.searchParams.set('mount', mount.digest);
      url.searchParams.set('from', mount.from);
      scopes.push(repoScope(mount.from, 'pull'));
    }
    const res = await this.send({ method: 'POST', url, body: Buffer.alloc(0) }, scopes);
    await res.drain();
    if (res.status === 201 && mount) return 'mounted';
    if (res.status === 202) return { location: this.location(res) };
    throw await registryError(res, `upload to ${repository}`, this.host);
  }

  /** Uploads a whole blob with one PUT to a session (monolithic). */
  async putBlob(repository: string, session: UploadSession, digest: Digest, body: ReplayableBody): Promise<void> {
    const url = new URL(session.location);
    url.searchParams.set('digest', digest);
    const res = await this.send({ method: 'PUT', url, body, headers: { 'Content-Type': 'application/octet-stream' } }, [repoScope(repository, 'pull,push')], { idleTimeoutMs: 120_000 });
    await this.expectCreated(res, repository, digest);
  }

  /** Sends one chunk [start, start+length) with PATCH; returns the session's next location. */
  async patchChunk(repository: string, session: UploadSession, start: number, body: ReplayableBody): Promise<UploadSession> {
    const end = start + body.length - 1;
    const res = await this.send(
      { method: 'PATCH', url: new URL(session.location), body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end}` } },
      [repoScope(repository, 'pull,push')],
      { retry: false, idleTimeoutMs: 120_000 },
    );
    await res.drain();
    if (res.status === 202 || res.status === 204) return { location: this.location(res, session.location) };
    throw await registryError(res, `upload chunk ${start}-${end} to ${repository}`, this.host);
  }

  /**
   * How many bytes the registry holds for an upload session (GET upload
   * status), and the session's current location. `Range: 0-0` means 0 or 1
   * bytes (the spec cannot say which); `known` (our last confirmed offset) decides.
   */
  async uploadStatus(repository: string, session: UploadSession, known: number): Promise<{ offset: number; session: UploadSession }> {
    const res = await this.send({ method: 'GET', url: new URL(session.location) }, [repoScope(repository, 'pull,push')]);
    await res.drain();
    if (res.status !== 204 && res.status !== 200) throw await registryError(res, `upload status in ${repository}`, this.host);
    const range = res.header('range');
    const m = range ? /^(?:bytes=)?0-(\d+)$/.exec(range) : null;
    let offset = m ? Number(m[1]) + 1 : 0;
    if (offset === 1 && known === 0) offset = 0;
    return { offset, session: { location: this.location(res, session.location) } };
  }

  /** Closes a chunked upload with the final PUT ?digest=. */
  async finishUpload(repository: string, session: UploadSession, digest: Digest): Promise<void> {
    const url = new URL(session.location);
    url.searchParams.set('digest', digest);
    const res = await this.send({ method: 'PUT', url, body: Buffer.alloc(0), headers: { 'Content-Type': 'application/octet-stream' } }, [repoScope(repository, 'pull,push')]);
    await this.expectCreated(res, repository, digest);
  }

  async cancelUpload(repository: string, session: UploadSession): Promise<void> {
    try {
      const res = await this.send({ method: 'DELETE', url: new URL(session.location) }, [repoScope(repository, 'pull,push')], { retry: false });
      await res.drain();
    } catch {
      /* best effort: the registry expires stale sessions */
    }
  }

  /** PUT a manifest by tag or digest; returns the digest the registry computed. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const res = await this.send(
      { method: 'PUT', url: this.url(`/v2/${repository}/manifests/${reference}`), body: bytes, headers: { 'Content-Type': mediaType } },
      [repoScope(repository, 'pull,push')],
    );
    const local: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await registryError(res, `manifest ${repository}:${reference}`, this.host);
    await res.drain();
    const remote = res.header('docker-content-digest');
    if (remote && remote !== local) {
      throw new TugError('DIGEST_MISMATCH', `registry ${this.host} stored manifest ${repository}:${reference} as ${remote}, expected ${local}`);
    }
    return local;
  }

  /** All tags of a repository, following Link pagination. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let url: URL | undefined = this.url(`/v2/${repository}/tags/list`);
    while (url) {
      const res: HttpResponse = await this.send({ method: 'GET', url }, [repoScope(repository, 'pull')]);
      if (res.status !== 200) throw await registryError(res, `tags of ${repository}`, this.host);
      const body = JSON.parse(await res.text()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = res.header('link');
      const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      url = m ? new URL(m[1], url) : undefined;
    }
    return tags;
  }

  private location(res: HttpResponse, fallback?: URL): URL {
    const loc = res.header('location');
    if (!loc) {
      if (fallback) return fallback;
      throw new TugError('REGISTRY', `registry ${this.host} started an upload without a Location header`);
    }
    return new URL(loc, res.url);
  }

  private async expectCreated(res: HttpResponse, repository: string, digest: Digest): Promise<void> {
    if (res.status === 201 || res.status === 204 || res.status === 200) {
      await res.drain();
      const got = res.header('docker-content-digest');
      if (got && got !== digest) throw new TugError('DIGEST_MISMATCH', `registry ${this.host} stored blob ${digest} as ${got}`);
      return;
    }
    throw await registryError(res, `blob upload ${digest} to ${repository}`, this.host);
  }
}

async function manifestError(res: HttpResponse, repository: string, display: string, host: string): Promise<TugError> {
  const err = await registryError(res, `manifest for ${display}`, host);
  if (err.code === 'UNAUTHORIZED' || (err.code === 'NOT_FOUND' && err.has('NAME_UNKNOWN'))) {
    // docker's wording for a repository we cannot see
    const detail = err.errors.length ? err.errors.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`).join('; ') : `${res.status}`;
    return new TugError(err.code, `pull access denied for ${host}/${repository}, repository does not exist or may require 'tug login': ${detail}`, {
      hint: `check the name, or run 'tug login ${host}'`,
    });
  }
  return err;
}

/** Media type from the document itself, falling back to Content-Type (Docker schema2 lists always set it). */
export function manifestMediaType(bytes: Buffer, contentType?: string): string {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; config?: unknown; schemaVersion?: number };
    if (doc.mediaType) return doc.mediaType;
    if (Array.isArray(doc.manifests)) return MediaType.OciIndex;
    if (doc.config) return MediaType.OciManifest;
  } catch {
    /* fall through */
  }
  return (contentType ?? '').split(';')[0].trim();
}
