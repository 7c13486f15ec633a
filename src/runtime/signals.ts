// Signal names as docker accepts them (SIGTERM, TERM, 15).
import { TugError } from '../util/errors.js';

export const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14,
  TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26,
  PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
};

/** "SIGTERM", "TERM", "15" → "TERM" (what crun/runc kill accept), or a TugError. */
export function normaliseSignal(sig: string): string {
  const s = sig.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return String(n);
  } else if (SIGNALS[s] !== undefined) return s;
  else if (/^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(s)) return s;
  throw new TugError('INVALID_ARGUMENT', `invalid signal: ${sig}`, { hint: 'use a name such as SIGTERM or KILL, or a number' });
}

