import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { CliError } from '../errors.ts';
import { LiveView, type LiveResult } from './LiveView.tsx';

// Ink reads is-in-ci once, at import, and then paints only the final frame; this test is about
// live repainting in an operator's terminal, so the CI markers go before any import runs
// (vi.hoisted is lifted above the imports; each test file runs in its own process).
vi.hoisted(() => {
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
});

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clock = (): Date => new Date('2026-05-16T01:30:00Z');

describe('LiveView', () => {
  it('re-renders each poll, shows a failed poll as a banner over the last frame, ends when done', async () => {
    const answers: (number | Error)[] = [
      2,
      new CliError('CLI_ERR_CP_UNREACHABLE', 'GET /v1/rollouts: connect ECONNREFUSED'),
      3,
    ];
    let ended: LiveResult<number> | null = null;
    const r = render(
      <LiveView
        initial={1}
        load={async () => {
          const a = answers.shift() ?? 3;
          if (a instanceof Error) throw a;
          return a;
        }}
        view={(n, chrome) => (
          <Text>
            {`value ${n}`}
            {chrome.error !== null ? ` | ${chrome.error}` : ''}
            {` | ${chrome.footer}`}
          </Text>
        )}
        intervalMs={30}
        isDone={(n) => n >= 3}
        onEnd={(res) => {
          ended = res;
        }}
        input={false}
        now={clock}
      />,
    );
    expect(r.lastFrame()).toBe('value 1 | updated 01:30:00Z · every 0s');
    await wait(250);
    const frames = r.frames.join('\n');
    expect(frames).toContain('value 2');
    expect(frames).toContain(
      'value 2 | CLI_ERR_CP_UNREACHABLE: GET /v1/rollouts: connect ECONNREFUSED — retrying',
    );
    expect(r.lastFrame()).toContain('value 3');
    expect(ended).toEqual({ last: 3, lastError: null, reason: 'done' });
    r.unmount();
  });

  it('q quits with the last snapshot', async () => {
    let ended: LiveResult<string> | null = null;
    const r = render(
      <LiveView
        initial="a"
        load={async () => 'a'}
        view={(s) => <Text>{s}</Text>}
        intervalMs={1000}
        onEnd={(res) => {
          ended = res;
        }}
        input
        now={clock}
      />,
    );
    await wait(20);
    r.stdin.write('q');
    await wait(20);
    expect(ended).toEqual({ last: 'a', lastError: null, reason: 'quit' });
    r.unmount();
  });
});
