// Sizes as docker prints them (go-units): decimal units with a number of
// significant digits; listings use 3 (HumanSizeWithPrecision(n, 3)), progress
// lines 4 (HumanSize).
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`;
}

/** Three significant digits, as `docker images` and `docker ps -s` print sizes. */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}
