// Bearer tokens for the standard challenge flow: HMAC-SHA256 signed JWTs
// carrying the granted access ("access": [{type, name, actions}]), as the
// distribution token spec lays them out. The key lives in the state root so
// tokens survive a restart; it never leaves this host.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../../util/errors.js';

export interface AccessEntry {
  type: string; // "repository" or "registry"
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: AccessEntry[];
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export function loadOrCreateKey(path: string): Buffer {
  try {
    const k = readFileSync(path);
    if (k.length >= 32) return k;
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key, { mode: 0o600, flag: 'w' });
  chmodSync(path, 0o600);
  return key;
}

export class TokenIssuer {
  constructor(
    private readonly key: Buffer,
    readonly issuer: string,
    readonly service: string,
    readonly ttlSeconds = 300,
  ) {}

  issue(subject: string, access: AccessEntry[], now = Math.floor(Date.now() / 1000)): { token: string; claims: TokenClaims } {
    const claims: TokenClaims = { iss: this.issuer, sub: subject, aud: this.service, exp: now + this.ttlSeconds, nbf: now - 5, iat: now, jti: randomUUID(), access };
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const sig = createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    return { token: `${head}.${body}.${sig}`, claims };
  }

  /** The token's claims when its signature, audience and lifetime check out, else null. */
  verify(token: string, now = Math.floor(Date.now() / 1000)): TokenClaims | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const want = createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    let claims: TokenClaims;
    try {
      const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as { alg?: string };
      if (head.alg !== 'HS256') return null;
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as TokenClaims;
    } catch {
      return null;
    }
    if (claims.iss !== this.issuer || claims.aud !== this.service) return null;
    if (typeof claims.exp !== 'number' || claims.exp < now || (typeof claims.nbf === 'number' && claims.nbf > now)) return null;
    if (!Array.isArray(claims.access)) return null;
    return claims;
  }
}

/** Parses `repository:name:pull,push` (and `registry:catalog:*`) scope strings. */
export function parseScope(scope: string): AccessEntry | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const actions = scope.slice(last + 1).split(',').filter(Boolean);
  // a resource type may carry a class, e.g. repository(plugin)
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  return { type, name: scope.slice(first + 1, last), actions };
}
