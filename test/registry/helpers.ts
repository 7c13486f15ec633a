// Shared by the registry tests: a real `tug registry serve` child process on a
// free loopback port, a small raw HTTP client (so tests can send exactly the
// headers they mean, lies included), and blob/manifest builders.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { TUG_BIN } from '../helpers.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RegistryProc {
  child: ChildProcess;
  port: number;
  base: string;
  host: string;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node bin/tug.js registry serve --addr 127.0.0.1:<free port>` and waits until it listens. */
export async function startRegistry(root: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RegistryProc> {
  const port = await freePort();
  const child = spawn(process.execPath, [TUG_BIN, '--root', root, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${err}`)), 15_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited ${code}: ${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    host: `127.0.0.1:${port}`,
    base: `http://127.0.0.1:${port}`,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ReqOptions {
  headers?: Record<string, string | number>;
  body?: Buffer | string;
}

/** One HTTP request with exactly the given headers (Content-Length is set from the body unless given). */
export function http(method: string, url: string, opts: ReqOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = Buffer.byteLength(opts.body);
    // host and path taken apart by hand: a URL parser would resolve "../" away
    const m = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url);
    if (!m) throw new Error(`bad test URL ${url}`);
    const r = request({ host: m[1], port: Number(m[2]), path: m[3], method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString(), json: <T>() => JSON.parse(body.toString()) as T });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(opts.body);
  });
}

export function digestOf(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function randomBlob(size: number): { data: Buffer; digest: string } {
  const data = randomBytes(size);
  return { data, digest: digestOf(data) };
}

/** Monolithic POST ?digest= upload; returns the response. */
export function pushBlob(base: string, repo: string, data: Buffer, headers: Record<string, string> = {}): Promise<Res> {
  return http('POST', `${base}/v2/${repo}/blobs/uploads/?digest=${digestOf(data)}`, { body: data, headers: { 'Content-Type': 'application/octet-stream', ...headers } });
}

export interface ImageParts {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: string;
}

/** An OCI image manifest over random layers (the registry does not unpack layers). */
export function makeImage(opts: { layers?: number; layerSize?: number; mediaType?: string; subject?: { digest: string; size: number; mediaType: string }; artifactType?: string; annotations?: Record<string, string> } = {}): ImageParts {
  const docker = opts.mediaType === 'application/vnd.docker.distribution.manifest.v2+json';
  const layers = Array.from({ length: opts.layers ?? 2 }, () => randomBytes(opts.layerSize ?? 1024));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(digestOf) }, nonce: randomBytes(8).toString('hex') }));
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: opts.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(l), size: l.length })),
  };
  if (opts.subject) m.subject = opts.subject;
  if (opts.artifactType) m.artifactType = opts.artifactType;
  if (opts.annotations) m.annotations = opts.annotations;
  const manifest = Buffer.from(JSON.stringify(m));
  return { config, layers, manifest, digest: digestOf(manifest) };
}

/** Pushes blobs then the manifest under `ref`. */
export async function pushImage(base: string, repo: string, img: ImageParts, ref: string, headers: Record<string, string> = {}): Promise<Res> {
  for (const b of [img.config, ...img.layers]) {
    const r = await pushBlob(base, repo, b, headers);
    if (r.status !== 201) throw new Error(`blob push ${r.status}: ${r.text}`);
  }
  const mt = (JSON.parse(img.manifest.toString()) as { mediaType: string }).mediaType;
  return http('PUT', `${base}/v2/${repo}/manifests/${ref}`, { body: img.manifest, headers: { 'Content-Type': mt, ...headers } });
}

export function errorCode(r: Res): string | undefined {
  try {
    return r.json<{ errors: Array<{ code: string }> }>().errors[0]?.code;
  } catch {
    return undefined;
  }
}
