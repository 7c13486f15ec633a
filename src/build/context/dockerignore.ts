// .dockerignore with Docker's semantics: patterns are Go filepath.Match globs
// on slash-separated paths relative to the context root, `**` spans any
// number of directories, `!` re-includes, the last matching pattern wins, and
// a pattern that matches a parent directory matches everything below it.

interface Pattern {
  text: string;
  exclusion: boolean;
  regex: RegExp;
  /** Number of path components, for matching against parent directories. */
  depth: number;
}

/** filepath.Clean for slash paths, plus the leading-slash rule of .dockerignore. */
export function cleanPattern(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  return out.length ? out.join('/') : '.';
}

function escapeRegex(ch: string): string {
  return /[.+()|{}$^\\]/.test(ch) ? `\\${ch}` : ch;
}

function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // "**/" may match zero directories; a trailing "**" matches everything below
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern "${pattern}"`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      re += escapeRegex(pattern[i]).replace(/^([*?[\]])$/, '\\$1');
    } else re += escapeRegex(ch);
  }
  return new RegExp(`${re}$`, 's');
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = [];
    for (const raw of lines) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      const text = cleanPattern(line);
      if (text === '.') continue;
      this.patterns.push({ text, exclusion, regex: compile(text), depth: text.split('/').length });
    }
  }

  static parse(fileText: string): IgnoreMatcher {
    return new IgnoreMatcher(fileText.split(/\r?\n/));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** True when `relPath` (slash-separated, relative to the context) is excluded. */
  ignores(relPath: string): boolean {
    const parts = relPath.split('/');
    let ignored = false;
    for (const p of this.patterns) {
      let match = p.regex.test(relPath);
      // a pattern naming a parent directory covers everything under it
      for (let n = 1; !match && n < parts.length; n++) match = p.regex.test(parts.slice(0, n).join('/'));
      if (match) ignored = !p.exclusion;
    }
    return ignored;
  }

  /**
   * Whether walking into an ignored directory can still find included files,
   * i.e. some `!` pattern could match below it. Lets a walk skip whole trees.
   */
  mayIncludeBelow(dirRel: string): boolean {
    return this.patterns.some((p) => p.exclusion && (p.text.includes('**') || p.text.startsWith(`${dirRel}/`) || couldPrefixMatch(p.text, dirRel)));
  }
}

/** Whether the first components of a glob pattern could match dirRel's components. */
function couldPrefixMatch(pattern: string, dirRel: string): boolean {
  const pp = pattern.split('/');
  const dp = dirRel.split('/');
  if (pp.length <= dp.length) return false;
  return compile(pp.slice(0, dp.length).join('/')).test(dirRel);
}
