// The registry auth flow (docker's token spec): a request answered 401 with
// `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is retried with a token
// fetched from the realm (with basic credentials when we have them); `Basic`
// challenges are answered with the credentials directly. Tokens are cached per
// scope set for their lifetime, so a pull asks the token server once.
import type https from 'node:https';
import { TugError } from '../util/errors.js';
import type { Credentials } from './credentials.js';
import { request, type HttpResponse } from './transport.js';

export interface Challenge {
  scheme: string; // lower-case: "bearer", "basic"
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (one or more challenges, quoted or token values). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && !/[\s,=]/.test(s[i])) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    while (s[i] === ',') {
      i++;
      skipWs();
    }
    if (i >= s.length) break;
    const scheme = token();
    if (!scheme) break;
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    // params: key=value pairs separated by commas, until the next scheme
    for (;;) {
      skipWs();
      const save = i;
      const key = token();
      skipWs();
      if (!key || s[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else value = token();
      ch.params[key.toLowerCase()] = value;
      skipWs();
      if (s[i] === ',') i++;
      else break;
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Per registry host: its challenge, credentials, and tokens by scope. */
export class Authenticator {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, CachedToken>();
  private credsLoaded?: Promise<Credentials | undefined>;

  constructor(
    readonly host: string,
    private readonly loadCredentials: () => Promise<Credentials | undefined>,
    /** The registry's TLS agent, also used for a token realm on the same host. */
    private readonly agent?: https.Agent,
  ) {}

  credentials(): Promise<Credentials | undefined> {
    this.credsLoaded ??= this.loadCredentials();
    return this.credsLoaded;
  }

  /** The Authorization header to send for these scopes, if the registry's scheme is known. */
  async header(scopes: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = await this.credentials();
      return c && c.username ? basicHeader(c) : undefined;
    }
    if (ch.scheme !== 'bearer') return undefined;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(ch, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /**
   * Learns from a 401. Returns true when retrying with a (new) header can help:
   * the first challenge, or a bearer challenge that asks for more scope.
   */
  onUnauthorized(res: HttpResponse, scopes: string[], sentAuth: string | undefined): boolean {
    const header = res.header('www-authenticate');
    if (!header) return false;
    const chs = parseChallenges(header);
    const ch = chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic');
    if (!ch) return false;
    const first = this.challenge === undefined || this.challenge.scheme !== ch.scheme;
    this.challenge = ch;
    let grew = false;
    if (ch.scheme === 'bearer' && ch.params.scope) {
      for (const sc of ch.params.scope.split(' ')) {
        if (sc && !scopes.includes(sc)) {
          scopes.push(sc);
          grew = true;
        }
      }
    }
    this.tokens.delete(scopeKey(scopes));
    return first || grew || sentAuth === undefined;
  }

  private async fetchToken(ch: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new TugError('UNAUTHORIZED', `registry ${this.host} sent a bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new TugError('UNAUTHORIZED', `registry ${this.host} sent an invalid token realm "${realm}"`);
    }
    const creds = await this.credentials();
    const agent = url.host === this.host ? this.agent : undefined;
    let res: HttpResponse;
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant, as docker does for identity tokens
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tug', access_type: 'offline' });
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await request({ method: 'POST', url, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), agent });
    } else {
      if (ch.params.service) url.searchParams.set('service', ch.params.service);
      for (const sc of scopes) url.searchParams.append('scope', sc);
      if (creds?.username) url.searchParams.set('account', creds.username);
      const headers: Record<string, string> = {};
      if (creds?.username) headers.Authorization = basicHeader(creds);
      res = await request({ method: 'GET', url, headers, agent });
    }
    const text = await res.text(1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw new TugError('UNAUTHORIZED', `unauthorized: ${creds ? 'incorrect username or password' : 'authentication required'} for ${this.host}`, {
        hint: creds ? `check the credentials, then run 'tug login ${this.host}'` : `run 'tug login ${this.host}' first`,
      });
    }
    if (res.status !== 200) throw new TugError('REGISTRY', `token server ${url.host} answered ${res.status} ${text.slice(0, 200).trim()}`);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new TugError('REGISTRY', `token server ${url.host} sent invalid JSON`);
    }
    const token = body.token || body.access_token;
    if (!token) throw new TugError('REGISTRY', `token server ${url.host} sent no token`);
    // the spec's default lifetime is 60 s; keep a margin for slow requests
    const ttl = Math.max(10, (body.expires_in ?? 60) - 10);
    return { token, expiresAt: Date.now() + ttl * 1000 };
  }
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ');
}

export function repoScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}
