/** Levenshtein edit distance between two strings (for "did you mean" suggestions). */
export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * Up to `max` known names close to `name` (edit distance at most a third of the longer name, at least 2),
 * nearest first, ties in the given order; the single nearest name when none is that close.
 */
export function closestNames(name: string, known: readonly string[], max = 3): string[] {
  const ranked = known
    .map((candidate, index) => ({
      candidate,
      index,
      d: levenshtein(name.toLowerCase(), candidate.toLowerCase()),
    }))
    .sort((x, y) => x.d - y.d || x.index - y.index);
  const close = ranked.filter(
    (x) => x.d <= Math.max(2, Math.ceil(Math.max(name.length, x.candidate.length) / 3)),
  );
  return (close.length ? close : ranked.slice(0, 1)).slice(0, max).map((x) => x.candidate);
}
