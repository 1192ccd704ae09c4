// The failing compliance controls under the host tables of `status` and
// `watch`: one line per control, named by id with its framework and article,
// so the operator reads what to fix without opening the evidence.
import type { ReactElement } from 'react';
import type { FailingControl } from '../status/controls.ts';
import { Table, type TableColumn } from './Table.tsx';

const columns: readonly TableColumn<FailingControl>[] = [
  { header: 'HOST', cell: (c) => c.hostname, min: 6, max: 32, priority: 0 },
  {
    header: 'CONTROL',
    cell: (c) => `✗ ${c.controlId}`,
    min: 9,
    max: 40,
    priority: 0,
    color: () => 'red',
  },
  { header: 'FRAMEWORK', cell: (c) => c.framework ?? '—', min: 9, max: 20, priority: 1 },
  { header: 'ARTICLE', cell: (c) => c.article ?? '—', min: 7, max: 24, priority: 2 },
  { header: 'PROBE', cell: (c) => c.probe, min: 5, max: 28, priority: 3 },
  { header: 'REASON', cell: (c) => c.reason ?? '', min: 6, max: 48, priority: 4 },
];

/**
 * The failing-controls table.
 *
 * @example <FailingControlsTable controls={snap.failingControls} width={100} color={false} />
 */
export function FailingControlsTable(props: {
  readonly controls: readonly FailingControl[];
  readonly width: number;
  readonly color: boolean;
}): ReactElement {
  return (
    <Table
      columns={columns}
      rows={props.controls}
      rowKey={(c) => `${c.hostname}|${c.probe}|${c.controlId}`}
      width={props.width}
      color={props.color}
    />
  );
}
