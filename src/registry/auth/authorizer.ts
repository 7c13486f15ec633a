// Who is calling and what they may do: none (an open registry), basic (htpasswd
// credentials on every request), or token (the Bearer challenge flow with the
// built-in token endpoint). Routes state what they need; this answers yes, or
// with the 401 challenge / 403 denial the spec's clients expect.
import { RegistryError } from '../errors.js';
import { AccessPolicy, type Action, type Identity } from './access.js';
import type { Htpasswd } from './htpasswd.js';
import { parseScope, type AccessEntry, type TokenIssuer } from './token.js';

export type AuthMode = 'none' | 'basic' | 'token';

export interface Caller {
  identity: Identity;
  /** Credentials were sent but are wrong (bad password, bad or expired token). */
  badCredentials: boolean;
  /** Token mode: what the presented token grants. */
  grants?: AccessEntry[];
}

export interface Need {
  repo: string;
  action: Action;
}

export interface AuthorizerOptions {
  mode: AuthMode;
  policy: AccessPolicy;
  htpasswd?: Htpasswd;
  issuer?: TokenIssuer;
  /** Fixed token realm URL; by default derived from the request's Host. */
  realm?: string;
}

const BASIC_REALM = 'tug-registry';

function decodeBasic(header: string): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class Authorizer {
  constructor(readonly opts: AuthorizerOptions) {}

  get mode(): AuthMode {
    return this.opts.mode;
  }

  async identify(authorization: string | undefined): Promise<Caller> {
    const anonymous: Caller = { identity: { user: null }, badCredentials: false };
    if (this.opts.mode === 'none' || !authorization) return anonymous;
    if (this.opts.mode === 'basic') {
      const creds = decodeBasic(authorization);
      if (!creds || !this.opts.htpasswd) return { ...anonymous, badCredentials: true };
      const ok = await this.opts.htpasswd.verify(creds.user, creds.password);
      return ok ? { identity: { user: creds.user }, badCredentials: false } : { ...anonymous, badCredentials: true };
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const claims = m && this.opts.issuer ? this.opts.issuer.verify(m[1]) : null;
    if (!claims) return { ...anonymous, badCredentials: true };
    return { identity: { user: claims.sub || null }, badCredentials: false, grants: claims.access };
  }

  can(caller: Caller, need: Need): boolean {
    if (this.opts.mode === 'token') {
      return (caller.grants ?? []).some((g) => g.type === 'repository' && g.name === need.repo && (g.actions.includes(need.action) || g.actions.includes('*')));
    }
    if (caller.badCredentials) return false;
    return this.opts.policy.can(caller.identity, need.repo, need.action);
  }

  /** May the caller reach GET /v2/ (the version check that also starts authentication)? */
  canPing(caller: Caller): boolean {
    if (this.opts.mode === 'none') return true;
    if (caller.badCredentials) return false;
    if (this.opts.mode === 'token') return caller.grants !== undefined;
    return caller.identity.user !== null || this.opts.policy.anonymousHasAnyAccess();
  }

  /** Throws the spec's answer when the caller lacks any of `needs`. */
  require(caller: Caller, needs: Need[], origin: string): void {
    const missing = needs.filter((n) => !this.can(caller, n));
    if (missing.length === 0) return;
    const authenticated = !caller.badCredentials && (caller.identity.user !== null || caller.grants !== undefined);
    if (this.opts.mode === 'basic' && authenticated) {
      throw new RegistryError('DENIED', 'requested access to the resource is denied', missing.map((n) => ({ Type: 'repository', Name: n.repo, Action: n.action })));
    }
    throw this.challenge(needs, origin, caller.badCredentials ? 'invalid credentials' : 'authentication required');
  }

  challenge(needs: Need[], origin: string, message = 'authentication required'): RegistryError {
    let value: string;
    if (this.opts.mode === 'token') {
      const byRepo = new Map<string, Set<string>>();
      for (const n of needs) {
        const s = byRepo.get(n.repo) ?? new Set<string>();
        s.add(n.action);
        byRepo.set(n.repo, s);
      }
      const scope = [...byRepo].map(([repo, acts]) => `repository:${repo}:${[...acts].join(',')}`).join(' ');
      value = `Bearer realm="${this.realm(origin)}",service="${this.opts.issuer?.service ?? ''}"${scope ? `,scope="${scope}"` : ''}`;
    } else value = `Basic realm="${BASIC_REALM}"`;
    return new RegistryError('UNAUTHORIZED', message, needs.length ? needs.map((n) => ({ Type: 'repository', Name: n.repo, Action: n.action })) : undefined, {
      headers: { 'WWW-Authenticate': value },
    });
  }

  realm(origin: string): string {
    return this.opts.realm ?? `${origin}/token`;
  }

  /**
   * The token endpoint (GET /token?service=&scope=...): Basic credentials are
   * optional; what is granted is what was asked for, cut down to what the
   * policy allows. Wrong credentials are refused outright, as registries do.
   */
  async issueToken(authorization: string | undefined, scopes: string[], service: string | null): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const issuer = this.opts.issuer;
    if (this.opts.mode !== 'token' || !issuer) return { status: 404, body: new RegistryError('UNSUPPORTED', 'token auth is not enabled').body() };
    if (service && service !== issuer.service) {
      return { status: 400, body: { errors: [{ code: 'UNSUPPORTED', message: `unknown service "${service}"` }] } };
    }
    let identity: Identity = { user: null };
    if (authorization) {
      const creds = decodeBasic(authorization);
      if (!creds || !this.opts.htpasswd || !(await this.opts.htpasswd.verify(creds.user, creds.password))) {
        return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }, headers: { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}"` } };
      }
      identity = { user: creds.user };
    }
    const access: AccessEntry[] = [];
    for (const raw of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
      const scope = parseScope(raw);
      if (!scope) continue;
      if (scope.type === 'registry' && scope.name === 'catalog') {
        // the catalog itself is then filtered to what this identity may pull
        if (identity.user !== null || this.opts.policy.anonymousHasAnyAccess()) access.push({ type: 'registry', name: 'catalog', actions: ['*'] });
        continue;
      }
      if (scope.type !== 'repository') continue;
      const allowed = this.opts.policy.allowed(identity, scope.name);
      const actions = scope.actions.flatMap((a) => (a === '*' ? [...allowed] : allowed.has(a as Action) ? [a] : []));
      access.push({ type: 'repository', name: scope.name, actions: [...new Set(actions)] });
    }
    const { token, claims } = issuer.issue(identity.user ?? '', access);
    return { status: 200, body: { token, access_token: token, expires_in: issuer.ttlSeconds, issued_at: new Date(claims.iat * 1000).toISOString() } };
  }
}
