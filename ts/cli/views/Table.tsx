// A terminal table on top of the pure column layout (table.ts): header row,
// one line per row, colour per cell when colour is on. Lines never wrap;
// what does not fit is cut (the layout has already dropped columns).
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { fit, GAP, layoutColumns, type Column } from './table.ts';

/** A column that may colour its cells. */
export interface TableColumn<R> extends Column<R> {
  /** Ink colour of a cell, or undefined for the default. */
  readonly color?: (row: R) => string | undefined;
}

/** Props of {@link Table}. */
export interface TableProps<R> {
  /** Columns in display order. */
  readonly columns: readonly TableColumn<R>[];
  readonly rows: readonly R[];
  /** Stable React key of a row (the index disambiguates equal rows). */
  readonly rowKey: (row: R, index: number) => string;
  /** Width available, in columns. */
  readonly width: number;
  /** Whether to use colour and bold. */
  readonly color: boolean;
}

/**
 * Renders rows as aligned columns that fit `width`.
 *
 * @example <Table columns={cols} rows={hosts} rowKey={(h) => h.hostname} width={80} color={false} />
 */
export function Table<R>(props: TableProps<R>): ReactElement {
  const placed = layoutColumns<R, TableColumn<R>>(props.columns, props.rows, props.width);
  const gap = ' '.repeat(GAP);
  const last = placed.length - 1;
  const pad = (text: string, i: number): string =>
    i === last ? text : `${fit(text, (placed[i] as { width: number }).width)}${gap}`;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" bold={props.color}>
        {placed.map((c, i) => pad(c.header, i)).join('')}
      </Text>
      {props.rows.map((row, index) => (
        <Text key={props.rowKey(row, index)} wrap="truncate-end">
          {placed.map((c, i) => {
            const text = i === last ? fit(c.cell(row), c.width).trimEnd() : pad(c.cell(row), i);
            const color = props.color ? c.color?.(row) : undefined;
            return color === undefined ? (
              <Text key={c.header}>{text}</Text>
            ) : (
              <Text key={c.header} color={color}>
                {text}
              </Text>
            );
          })}
        </Text>
      ))}
    </Box>
  );
}
