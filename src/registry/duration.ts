// Durations for flags: "500ms", "30s", "10m", "2h", "1d", or plain seconds.
import { TugError } from '../util/errors.js';

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

export function parseDuration(s: string, flagName: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new TugError('INVALID_ARGUMENT', `invalid duration "${s}" for --${flagName}`, { hint: 'use e.g. 30s, 10m, 1h or 0 to switch it off' });
  return Math.round(Number(m[1]) * UNIT[m[2] ?? 's']);
}
