// A plain HTTP relay in front of a real registry, for tests that need to see
// or disturb the wire: it records each request (method, path, Range, bytes
// sent back), can slow blob bodies down, and can flip a byte in them.
import http from 'node:http';
import { freePort } from './fixture.js';

export interface RelayLogEntry {
  method: string;
  url: string;
  range?: string;
  status: number;
  bytes: number;
}

export interface Relay {
  host: string;
  log: RelayLogEntry[];
  mode: { bytesPerSec?: number; corruptBlobs?: boolean; /** answer the next `times` matching requests with 503 */ fail?: { match: RegExp; times: number } };
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const port = await freePort();
  const log: RelayLogEntry[] = [];
  const mode: Relay['mode'] = {};
  const server = http.createServer((req, res) => {
    const isBlob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    const f = mode.fail;
    if (f && f.times > 0 && f.match.test(`${req.method} ${req.url}`)) {
      f.times--;
      log.push({ method: req.method ?? '', url: req.url ?? '', status: 503, bytes: 0 });
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}');
      });
      return;
    }
    const up = http.request(`http://${target}${req.url}`, { method: req.method, headers: req.headers /* Host kept: the registry builds upload Locations from it, so they point back at the relay */ }, (ur) => {
      const entry: RelayLogEntry = { method: req.method ?? '', url: req.url ?? '', range: req.headers.range, status: ur.statusCode ?? 0, bytes: 0 };
      log.push(entry);
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let flipped = false;
      const slow = isBlob ? mode.bytesPerSec : undefined;
      ur.on('data', (c: Buffer) => {
        if (isBlob && mode.corruptBlobs && !flipped && c.length > 0) {
          c = Buffer.from(c);
          c[0] ^= 0xff;
          flipped = true;
        }
        entry.bytes += c.length;
        res.write(c);
        if (slow) {
          ur.pause();
          setTimeout(() => ur.resume(), (c.length / slow) * 1000);
        }
      });
      ur.on('end', () => res.end());
      ur.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${port}`,
    log,
    mode,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
