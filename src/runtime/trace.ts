// TUG_TRACE=1 prints phase timings to stderr (start-up work is measured, not guessed).
const on = process.env.TUG_TRACE === '1';
const t0 = performance.now();
export function trace(label: string): void {
  if (on) process.stderr.write(`[trace ${(performance.now() - t0).toFixed(1)}ms] ${label}\n`);
}
