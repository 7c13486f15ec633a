// Per-repository permissions. The access file is tug's own small format:
//
//   # who        repositories   actions
//   alice        *              pull,push,delete
//   bob          team/*         pull,push
//   *            public/*       pull        (* = any authenticated user)
//   anonymous    public/*       pull        (anonymous = no credentials)
//
// One rule a line; `#` starts a comment. The repository pattern is a glob in
// which `*` matches any run of characters, slashes included, and `?` one
// character. Actions are pull, push, delete, or `*` for all three. Rules only
// grant: a user's rights on a repository are the union of every matching line
// (and logged-in users also get what `anonymous` lines grant).
// Without an access file every authenticated user may do everything, and
// anonymous users may pull only when anonymous pull is switched on.
import { readFileSync } from 'node:fs';
import { TugError } from '../../util/errors.js';

export type Action = 'pull' | 'push' | 'delete';
export const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

/** Who is asking: a user from the htpasswd file, or nobody (anonymous). */
export interface Identity {
  user: string | null;
}

interface Rule {
  who: string;
  pattern: RegExp;
  actions: Set<Action>;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) {
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseAccessFile(text: string, source = 'access file'): Rule[] {
  const rules: Rule[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new TugError('INVALID_ARGUMENT', `${source}:${i + 1}: expected "<user> <repository pattern> <actions>"`);
    const [who, glob, acts] = parts;
    const actions = new Set<Action>();
    for (const a of acts.split(',')) {
      if (a === '*') ALL_ACTIONS.forEach((x) => actions.add(x));
      else if ((ALL_ACTIONS as readonly string[]).includes(a)) actions.add(a as Action);
      else throw new TugError('INVALID_ARGUMENT', `${source}:${i + 1}: unknown action "${a}"`, { hint: 'actions are pull, push, delete or *' });
    }
    rules.push({ who, pattern: globToRegExp(glob), actions });
  }
  return rules;
}

export interface AccessPolicyOptions {
  rules?: Rule[];
  anonymousPull?: boolean;
  /** No credentials configured at all: everyone may do everything (a local, open registry). */
  open?: boolean;
  readOnly?: boolean;
}

export class AccessPolicy {
  constructor(private readonly opts: AccessPolicyOptions) {}

  static fromFile(path: string, opts: Omit<AccessPolicyOptions, 'rules'>): AccessPolicy {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new TugError('INVALID_ARGUMENT', `cannot read access file ${path}: ${(e as Error).message}`);
    }
    return new AccessPolicy({ ...opts, rules: parseAccessFile(text, path) });
  }

  /** The actions `who` may take on `repo`. */
  allowed(who: Identity, repo: string): Set<Action> {
    const out = new Set<Action>();
    if (this.opts.open) ALL_ACTIONS.forEach((a) => out.add(a));
    else if (this.opts.anonymousPull) out.add('pull');
    if (who.user !== null && !this.opts.rules) ALL_ACTIONS.forEach((a) => out.add(a));
    for (const r of this.opts.rules ?? []) {
      // a logged-in user may always do what anonymous users may
      const matchesWho = r.who === 'anonymous' || (who.user !== null && (r.who === '*' || r.who === who.user));
      if (matchesWho && r.pattern.test(repo)) r.actions.forEach((a) => out.add(a));
    }
    if (this.opts.readOnly) {
      out.delete('push');
      out.delete('delete');
    }
    return out;
  }

  can(who: Identity, repo: string, action: Action): boolean {
    return this.allowed(who, repo).has(action);
  }

  /** Whether anonymous callers may do anything at all (decides the answer to GET /v2/). */
  anonymousHasAnyAccess(): boolean {
    return !!this.opts.open || !!this.opts.anonymousPull || (this.opts.rules ?? []).some((r) => r.who === 'anonymous');
  }
}
