// Parsing docker's unit-bearing flag values.
import { TugError } from '../util/errors.js';

/** docker's RAMInBytes: 512, 512b, 64k, 20m, 1g (binary units). */
export function parseBytes(v: string, flagName: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--${flagName}" flag: invalid size: '${v}'`, { hint: 'use a size such as 512m or 1g' });
  const mult: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[m[2].toLowerCase()]);
}

/** Go durations as docker takes them: 30s, 1m30s, 500ms, 1h. Returns nanoseconds. */
export function parseDuration(v: string, flagName: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (v === '0') return 0;
  if (consumed !== v.length || v === '') {
    throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--${flagName}" flag: time: invalid duration "${v}"`, { hint: 'use a duration such as 30s, 1m30s or 500ms' });
  }
  return total;
}
