// The walk of docs/getting-started.md as one bash script: every fenced block
// whose info string is `sh test` (optionally `exit=N`, the exit status the
// block's last command must end with), in document order, verbatim.
// Background processes the guide starts are stopped when the script ends,
// whatever happens.

/** One runnable block of the guide. */
export interface GuideBlock {
  readonly line: number;
  readonly text: string;
  readonly exit: number;
}

const FENCE = /^```sh test(?: exit=(\d+))?\n([\s\S]*?)^```$/gm;

/** The `sh test` blocks of a markdown document, in order. */
export function guideBlocks(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  for (const m of markdown.matchAll(FENCE)) {
    blocks.push({
      line: markdown.slice(0, m.index).split('\n').length,
      text: m[2] as string,
      exit: m[1] === undefined ? 0 : Number(m[1]),
    });
  }
  return blocks;
}

/**
 * The bash script running `blocks` under `set -euo pipefail`. A block with
 * an expected exit status runs with errexit off and is checked afterwards.
 */
export function guideScript(blocks: readonly GuideBlock[], file: string): string {
  const out = [
    'set -euo pipefail',
    // Everything the guide leaves running (CP, agents) goes with the script.
    "trap 'kill $(jobs -p) 2> /dev/null || true' EXIT",
  ];
  for (const b of blocks) {
    out.push(`echo "### ${file}:${b.line} (at \${SECONDS}s)" >&2`);
    if (b.exit === 0) {
      out.push(b.text);
      continue;
    }
    out.push('set +e', b.text, 'rc=$?', 'set -e');
    out.push(
      `if [ "$rc" != ${b.exit} ]; then echo "${file}:${b.line}: exit $rc, the guide says ${b.exit}" >&2; exit 1; fi`,
    );
  }
  return `${out.join('\n')}\n`;
}
