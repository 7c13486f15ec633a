// A small subset of Go templates for --format: {{.Field}}, {{.Label "k"}},
// {{json .}}, {{json .Field}}, a leading "table", and \t escapes.
export type Row = Record<string, string | number | boolean | Record<string, string>>;

export function renderTemplate(tpl: string, row: Row): string {
  return tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    if (expr === 'json .') return JSON.stringify(row);
    let m = /^json \.(\w+)$/.exec(expr);
    if (m) return JSON.stringify(row[m[1]]);
    m = /^\.Label "([^"]*)"$/.exec(expr) ?? /^index \.Labels "([^"]*)"$/.exec(expr);
    if (m) {
      const labels = row.LabelMap as Record<string, string> | undefined;
      return labels?.[m[1]] ?? '';
    }
    m = /^\.(\w+)$/.exec(expr);
    if (m) {
      const v = row[m[1]];
      return v === undefined ? '<no value>' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return `<unsupported: ${expr}>`;
  });
}

/** Pads columns like docker's tabwriter (3 spaces between columns). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** Renders rows with a --format (table or not) or the default table. */
export function formatRows(format: string | undefined, headers: Record<string, string>, defaultCols: string[], rows: Row[]): string {
  if (format && !format.startsWith('table')) return rows.map((r) => renderTemplate(format, r) + '\n').join('');
  if (format && format.startsWith('table')) {
    const tpl = format.slice(5).trim();
    const cells = (r: Row): string[] => renderTemplate(tpl, r).split('\t');
    const head = tpl.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, f: string) => headers[f] ?? f.toUpperCase()).replace(/\\t/g, '\t').split('\t');
    return table([head, ...rows.map(cells)]);
  }
  return table([defaultCols.map((c) => headers[c] ?? c), ...rows.map((r) => defaultCols.map((c) => String(r[c] ?? '')))]);
}
