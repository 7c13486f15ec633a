// napi-rs addon loaders (node-unix-socket, @napi-rs/xattr) detect musl by
// calling process.report.getReport(), which builds a full diagnostic report
// (~10 ms each here). On a glibc host we answer that one question cheaply
// while those modules load, then put the real function back.
import { existsSync } from 'node:fs';

type Report = { getReport: (...a: unknown[]) => unknown };

/** Swaps in the cheap answer; returns how to put the real function back (or undefined if not swapped). */
function swapProbe(): (() => void) | undefined {
  const report = process.report as unknown as Report | undefined;
  const musl = existsSync('/lib/ld-musl-x86_64.so.1') || existsSync('/lib/ld-musl-aarch64.so.1');
  if (!report || musl) return undefined;
  const real = report.getReport;
  try {
    report.getReport = () => ({ header: { glibcVersionRuntime: 'glibc' } });
  } catch {
    return undefined;
  }
  return () => {
    report.getReport = real;
  };
}

export async function withCheapLibcProbe<T>(load: () => Promise<T> | T): Promise<T> {
  const restore = swapProbe();
  try {
    return await load();
  } finally {
    restore?.();
  }
}

export function withCheapLibcProbeSync<T>(load: () => T): T {
  const restore = swapProbe();
  try {
    return load();
  } finally {
    restore?.();
  }
}
