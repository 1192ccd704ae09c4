// Column layout for the terminal tables: which columns fit a width, how wide
// each is, and how a cell is cut to fit. Pure, so a narrow terminal is a
// test input rather than a screen size. Widths are display columns (an
// emoji such as the pin marker takes two).

/** One column of a table. */
export interface Column<R> {
  readonly header: string;
  /** The cell text of a row. */
  readonly cell: (row: R) => string;
  /** Narrowest useful width (cells are cut with `…` below their natural width). */
  readonly min: number;
  /** Widest it grows; undefined: as wide as its content. */
  readonly max?: number;
  /** Lower numbers survive longer when the terminal is narrow (0 = always shown). */
  readonly priority: number;
}

/** A column with its final width. */
export type PlacedColumn<C> = C & { readonly width: number };

/** Gap between columns. */
export const GAP = 2;

/**
 * Display width of a string: astral-plane pictographs (🔒) count two, the
 * rest one. Enough for the characters these views print.
 *
 * @example displayWidth('🔒a1b2c3d') // 9
 */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) >= 0x1f000 ? 2 : 1;
  return w;
}

/**
 * Cuts a string to `width` display columns, ending in `…` when cut.
 *
 * @example truncate('web-frontend-01', 8) // 'web-fro…'
 */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/**
 * Pads (or cuts) a string to exactly `width` display columns.
 *
 * @example fit('ok', 4) // 'ok  '
 */
export function fit(text: string, width: number): string {
  const t = truncate(text, width);
  return t + ' '.repeat(Math.max(0, width - displayWidth(t)));
}

/**
 * Chooses the columns that fit in `width` and sizes them: each column wants
 * its natural width (header and cells, capped by `max`); when the sum is too
 * wide, columns shrink towards `min` (widest first), then the
 * lowest-priority columns are dropped until the rest fit.
 *
 * @example layoutColumns(cols, rows, 40).map((c) => c.header) // ['HOST', 'STATUS']
 */
export function layoutColumns<R, C extends Column<R> = Column<R>>(
  columns: readonly C[],
  rows: readonly R[],
  width: number,
): PlacedColumn<C>[] {
  const natural = columns.map((c) => {
    const content = Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(c.cell(r))));
    return Math.max(c.min, c.max === undefined ? content : Math.min(c.max, content));
  });
  let chosen = columns.map((_, i) => i);
  for (;;) {
    const widths = chosen.map((i) => natural[i] as number);
    const total = (ws: number[]): number => ws.reduce((a, b) => a + b, 0) + GAP * (ws.length - 1);
    let excess = total(widths) - width;
    // Shrink the widest shrinkable columns first, never below their minimum.
    while (excess > 0) {
      let widest = -1;
      for (let k = 0; k < chosen.length; k++) {
        const min = (columns[chosen[k] as number] as Column<R>).min;
        if (
          (widths[k] as number) > min &&
          (widest < 0 || (widths[k] as number) > (widths[widest] as number))
        )
          widest = k;
      }
      if (widest < 0) break;
      widths[widest] = (widths[widest] as number) - 1;
      excess--;
    }
    if (excess <= 0 || chosen.length === 1) {
      return chosen.map((i, k) => ({ ...(columns[i] as C), width: widths[k] as number }));
    }
    // Drop the least important column (the rightmost among equals).
    let drop = 0;
    for (let k = 0; k < chosen.length; k++) {
      if (
        (columns[chosen[k] as number] as Column<R>).priority >=
        (columns[chosen[drop] as number] as Column<R>).priority
      )
        drop = k;
    }
    if ((columns[chosen[drop] as number] as Column<R>).priority === 0) {
      // Only must-show columns remain: cut them to the width instead.
      return chosen.map((i, k) => ({ ...(columns[i] as C), width: widths[k] as number }));
    }
    chosen = chosen.filter((_, k) => k !== drop);
  }
}
