// "Did you mean …?" hints: the closest candidate by edit distance, as
// BuildKit's suggest package does (case-insensitive, small distances only).

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The best candidate within a distance that grows with the word's length, or undefined. */
export function suggest(word: string, candidates: Iterable<string>, caseSensitive = false): string | undefined {
  const w = caseSensitive ? word : word.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3) + 1));
  for (const c of candidates) {
    const d = levenshtein(w, caseSensitive ? c : c.toLowerCase());
    if (d === 0) continue;
    if (d <= limit && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
