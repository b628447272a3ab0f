/** A cell of a printed table. */
export type Cell = string | number | boolean | undefined;

/** Writes lines to stdout (the demo's only output channel). */
export function say(...lines: string[]): void {
  for (const line of lines) process.stdout.write(`${line}\n`);
}

/** A numbered scene heading, underlined. */
export function heading(title: string): void {
  say('', title, '='.repeat(title.length));
}

/** A smaller heading inside a scene. */
export function subheading(title: string): void {
  say('', `-- ${title}`);
}

/** Formats won with thousands separators: 2500 → "2,500". */
export function won(amount: number): string {
  return amount.toLocaleString('en-US');
}

/**
 * Prints rows as an aligned table: numbers right-aligned, everything else left-aligned, columns in the
 * order of the first row's keys unless given.
 */
export function table(rows: readonly Record<string, Cell>[], columns?: readonly string[]): void {
  if (rows.length === 0) {
    say('  (none)');
    return;
  }
  const cols = columns ?? Object.keys(rows[0]!);
  const text = (value: Cell) => (value === undefined ? '' : String(value));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: readonly string[], numeric: readonly boolean[]) =>
    '  ' +
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const numeric = cols.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  say(
    line(cols, numeric),
    line(
      widths.map((w) => '-'.repeat(w)),
      numeric,
    ),
  );
  for (const row of rows)
    say(
      line(
        cols.map((c) => text(row[c])),
        numeric,
      ),
    );
}
