// napi-rs addon loaders (node-unix-socket, @napi-rs/xattr) detect musl by
// calling process.report.getReport(), which builds a full diagnostic report
// (~10 ms each here). On a glibc host we answer that one question cheaply
// while those modules load, then put the real function back.
import { existsSync } from 'node:fs';

type Report = { getReport: (...a: unknown[]) => unknown };

export async function withCheapLibcProbe<T>(load: () => Promise<T> | T): Promise<T> {
  const report = process.report as unknown as Report | undefined;
  const musl = existsSync('/lib/ld-musl-x86_64.so.1') || existsSync('/lib/ld-musl-aarch64.so.1');
  if (!report || musl) return load();
  const real = report.getReport;
  try {
    report.getReport = () => ({ header: { glibcVersionRuntime: 'glibc' } });
  } catch {
    return load();
  }
  try {
    return await load();
  } finally {
    report.getReport = real;
  }
}

export function withCheapLibcProbeSync<T>(load: () => T): T {
  const report = process.report as unknown as Report | undefined;
  const musl = existsSync('/lib/ld-musl-x86_64.so.1') || existsSync('/lib/ld-musl-aarch64.so.1');
  if (!report || musl) return load();
  const real = report.getReport;
  try {
    report.getReport = () => ({ header: { glibcVersionRuntime: 'glibc' } });
  } catch {
    return load();
  }
  try {
    return load();
  } finally {
    report.getReport = real;
  }
}
