// Plain-text tables for the CLI's summaries (aligned columns, numbers right-aligned).

/** Renders rows as an aligned table with a header rule. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const w = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => cells.length > 0 && cells.every((r) => /^[-+]?[\d.,]+(e[-+]?\d+)?\s*(%|x|B|KB|kB|MB|s)?$/.test(r[i] ?? '')));
  const fmt = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(w[i] ?? 0) : c.padEnd(w[i] ?? 0))).join('  ').trimEnd();
  return [fmt(header), w.map((n) => '-'.repeat(n)).join('  '), ...cells.map(fmt)].join('\n');
}

/** Human byte size: `812 B`, `14.2 kB`, `1.07 MB`. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(2)} MB`;
}
