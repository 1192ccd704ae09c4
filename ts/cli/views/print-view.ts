// Printing a view once as text (the same components as the live views), for
// pipes and `--watch` without a terminal. Kept apart from
// commands/operator-context.ts so that commands printing JSON never load Ink.
import { renderToString } from 'ink';
import type { ReactElement } from 'react';
import type { OperatorCtx } from '../commands/operator-context.ts';

/**
 * Prints a view once as text.
 *
 * @example printView(ctx, <StatusView snapshot={snap} width={w} color={false} />, w)
 */
export function printView(ctx: OperatorCtx, element: ReactElement, width: number): void {
  const text = renderToString(element, { columns: width });
  ctx.io.stdout(`${text.replace(/[ \t]+$/gm, '')}\n`);
}
