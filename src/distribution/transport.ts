// The HTTP seam of the registry client: one `request` function over node:http(s)
// with keep-alive agents. Everything else (auth challenges, retries) wraps this
// seam, as undici's interceptors wrap a dispatcher. node:http rather than the
// global fetch: bodies stay Node streams (piped straight into the content store
// writer without WHATWG stream adapters), which measured ~20% faster here.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { TugError } from '../util/errors.js';

export type Headers = Record<string, string>;

/** A request body that can be sent again (after an auth challenge or a retry). */
export type ReplayableBody = Buffer | { length: number; open: () => Readable };

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Headers;
  body?: ReplayableBody;
  /** Milliseconds without any socket activity before the request fails. */
  idleTimeoutMs?: number;
  /** An agent with the registry's own CAs / client certificate (https only). */
  agent?: https.Agent;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  url: URL;
  body: Readable;
  header(name: string): string | undefined;
  text(limit?: number): Promise<string>;
  /** Reads and discards the body so the connection can be reused. */
  drain(): Promise<void>;
}

const agentOptions = { keepAlive: true, maxSockets: 32, keepAliveMsecs: 10_000 };
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

/** Connection-level failure (refused, reset, DNS, TLS); these are retryable. */
export class ConnectionError extends TugError {
  readonly errno: string;
  constructor(method: string, url: URL, errno: string, detail: string) {
    const host = url.host;
    const what = errno === 'ECONNREFUSED' ? `dial tcp ${host}: connect: connection refused` : detail;
    const verb = method[0] + method.slice(1).toLowerCase();
    super('NETWORK', `${verb} "${url.origin}${url.pathname}": ${what}`, {
      hint: errno === 'ECONNREFUSED' ? `is a registry listening on ${host}?` : errno.startsWith('ERR_TLS') || /certificate|SSL|TLS/i.test(detail)
        ? `for a registry without TLS, pass --insecure-registry ${host} (or list it in <root>/registries.json)`
        : 'check the registry address and your network',
    });
    this.errno = errno;
  }
}

function wrapResponse(res: http.IncomingMessage, url: URL): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    url,
    body: res,
    header(name) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    async text(limit = 4 * 1024 * 1024) {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of res as AsyncIterable<Buffer>) {
        n += c.length;
        if (n > limit) {
          res.destroy();
          throw new TugError('REGISTRY', `response from ${url.host} is larger than ${limit} bytes`, { hint: 'the registry sent an unexpectedly large document' });
        }
        chunks.push(c);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    async drain() {
      if (res.readableEnded || res.destroyed) return;
      res.resume();
      await new Promise<void>((resolve) => {
        res.once('end', resolve);
        res.once('close', resolve);
        res.once('error', () => resolve());
      });
    },
  };
}

/** Sends one HTTP request; rejects only on connection-level failures (any status resolves). */
export function request(req: HttpRequest): Promise<HttpResponse> {
  const { url } = req;
  const isHttps = url.protocol === 'https:';
  const headers: Headers = { 'User-Agent': 'tug/0.1.0', ...req.headers };
  if (req.body !== undefined) headers['Content-Length'] = String(req.body.length);
  return new Promise((resolve, reject) => {
    const r = (isHttps ? https : http).request(
      url,
      { method: req.method, headers, agent: isHttps ? req.agent ?? httpsAgent : httpAgent },
      (res) => resolve(wrapResponse(res, url)),
    );
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () => r.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    r.on('error', (e: NodeJS.ErrnoException) => reject(new ConnectionError(req.method, url, e.code ?? 'EIO', e.message)));
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      const src = body.open();
      src.on('error', (e) => r.destroy(e));
      src.pipe(r);
    }
  });
}

/** A keep-alive agent that trusts extra CAs (plus the system's) and may present a client certificate. */
export function tlsAgent(tls: { ca: Buffer[]; cert?: Buffer; key?: Buffer }): https.Agent {
  const ca = tls.ca.length ? [...tlsRootCertificates(), ...tls.ca.map((b) => b.toString('utf8'))] : undefined;
  return new https.Agent({ ...agentOptions, ca, cert: tls.cert, key: tls.key });
}

function tlsRootCertificates(): readonly string[] {
  return rootCertificates;
}

/** Closes idle keep-alive sockets so a CLI process can exit promptly. */
export function closeIdleConnections(): void {
  httpAgent.destroy();
  httpsAgent.destroy();
}
