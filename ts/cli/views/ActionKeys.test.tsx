import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import type { ApiRolloutAction } from '../../contracts/index.ts';
import { CliError } from '../errors.ts';
import { ActionKeys, type ActFn } from './ActionKeys.tsx';
import { LiveView, type LiveResult } from './LiveView.tsx';

// Ink reads is-in-ci once, at import; the prompt is about live repainting (see LiveView.test.tsx).
vi.hoisted(() => {
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
});

const RID = 'stable@3f2a9c1d';
const wait = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clock = (): Date => new Date('2026-05-16T01:30:00Z');
const ENTER = '\r';
const ESC = '\u001b';
const BACKSPACE = '\u007f';

interface Snap {
  readonly id: string | null;
  readonly ended: boolean;
}

/** The watch composition (LiveView + controls) with the action call injected. */
function mount(act: ActFn, opts: { input?: boolean; snap?: Snap; next?: () => Snap } = {}) {
  const ends: LiveResult<Snap>[] = [];
  const snap = opts.snap ?? { id: RID, ended: false };
  const r = render(
    <LiveView
      initial={snap}
      load={async () => opts.next?.() ?? snap}
      view={(s, chrome) => <Text>{`${s.id ?? '-'} | ${chrome.footer}`}</Text>}
      controls={(s, ctl) => (
        <ActionKeys rolloutId={s.id} ended={s.ended} input={ctl.input} act={act} quit={ctl.quit} />
      )}
      intervalMs={opts.next ? 40 : 60_000}
      onEnd={(e) => ends.push(e)}
      input={opts.input ?? true}
      now={clock}
    />,
  );
  const type = async (...chunks: string[]): Promise<void> => {
    for (const c of chunks) {
      r.stdin.write(c);
      await wait();
    }
  };
  return { r, ends, type, frame: () => r.lastFrame() ?? '' };
}

const answer = (a: Partial<ApiRolloutAction>): ApiRolloutAction => ({
  action: 'pause',
  reason: 'db migration',
  outcome: 'applied',
  operator: 'alice',
  rolloutId: RID,
  message: `${RID}: pause recorded`,
  ...a,
});

describe('watch action keys', () => {
  it('p opens the reason prompt; an empty reason is refused locally; Enter sends; the result shows', async () => {
    const act = vi.fn<ActFn>(async () => answer({}));
    const m = mount(act);
    await wait();
    expect(m.frame()).toContain('keys: p pause · r resume · a abort · A approve');
    await m.type('p');
    expect(m.frame()).toContain(`pause ${RID} — reason: █`);
    expect(m.frame()).toContain('Enter to send · Esc to cancel');
    await m.type('   ', ENTER);
    expect(m.frame()).toContain('not sent: a reason is required');
    expect(act).not.toHaveBeenCalled();
    // q typed into the prompt is text, not quit.
    await m.type(BACKSPACE, BACKSPACE, BACKSPACE, 'db', ' ', 'migration q', BACKSPACE, BACKSPACE);
    expect(m.frame()).toContain(`pause ${RID} — reason: db migration█`);
    await m.type(ENTER);
    expect(act).toHaveBeenCalledExactlyOnceWith('pause', 'db migration');
    expect(m.frame()).toContain(`pause applied by alice: ${RID}: pause recorded`);
    expect(m.frame()).toContain('keys: p pause');
    expect(m.ends).toEqual([]);
    m.r.unmount();
  });

  it('Esc cancels without sending; then q quits the view', async () => {
    const act = vi.fn<ActFn>(async () => answer({}));
    const m = mount(act);
    await m.type('r', 'never mind');
    expect(m.frame()).toContain('resume stable@3f2a9c1d — reason: never mind');
    await m.type(ESC);
    expect(m.frame()).not.toContain('reason:');
    expect(act).not.toHaveBeenCalled();
    await m.type('q');
    expect(m.ends.map((e) => e.reason)).toEqual(['quit']);
    m.r.unmount();
  });

  it('abort needs the rollout id (or abort) typed again, and shows the CP refusal code', async () => {
    const act = vi.fn<ActFn>(async () => {
      throw new CliError(
        'CLI_ERR_CP_REFUSED',
        `POST /v1/rollouts/${RID}/actions: 403 CP_ERR_ROLE_FORBIDDEN: alice (role operator) may not abort`,
        { hint: 'ask an admin', context: { cpCode: 'CP_ERR_ROLE_FORBIDDEN', status: 403 } },
      );
    });
    const m = mount(act);
    await m.type('a', 'bad release', ENTER);
    expect(m.frame()).toContain('abort is final');
    expect(m.frame()).toContain(`type ${RID} or abort to confirm: █`);
    await m.type('stable', ENTER);
    expect(m.frame()).toContain(`not sent: type ${RID} or abort to confirm`);
    expect(act).not.toHaveBeenCalled();
    await m.type(ESC);
    expect(m.frame()).not.toContain('abort is final');
    await m.type('a', 'bad release', ENTER, RID, ENTER);
    expect(act).toHaveBeenCalledExactlyOnceWith('abort', 'bad release');
    expect(m.frame()).toContain(
      'abort refused: CP_ERR_ROLE_FORBIDDEN: alice (role operator) may not abort — ask an admin',
    );
    m.r.unmount();
  });

  it('approve answered "already" says nothing was recorded; a transport error names its code', async () => {
    const act = vi
      .fn<ActFn>()
      .mockResolvedValueOnce(
        answer({ action: 'approve', outcome: 'already', message: 'wave 1 already approved' }),
      )
      .mockRejectedValueOnce(
        new CliError('CLI_ERR_CP_UNREACHABLE', 'POST …: connect ECONNREFUSED'),
      );
    const m = mount(act);
    await m.type('A', 'go', ENTER);
    expect(m.frame()).toContain(
      'approve already in force (nothing recorded): wave 1 already approved',
    );
    await m.type('p', 'x', ENTER);
    expect(m.frame()).toContain(
      'pause failed: CLI_ERR_CP_UNREACHABLE: POST …: connect ECONNREFUSED',
    );
    // Text and its Enter arriving in one chunk (a slow link) are typed, then sent.
    act.mockResolvedValueOnce(answer({ action: 'resume', reason: 'done' }));
    await m.type('r', 'done\r');
    expect(act).toHaveBeenLastCalledWith('resume', 'done');
    m.r.unmount();
  });

  it('a prompt open when the rollout ends closes unsent', async () => {
    const act = vi.fn<ActFn>(async () => answer({}));
    let now: Snap = { id: RID, ended: false };
    const m = mount(act, { next: () => now });
    await m.type('p', 'slow');
    expect(m.frame()).toContain('reason: slow');
    now = { id: RID, ended: true };
    await wait(150);
    expect(m.frame()).toContain('prompt closed, nothing sent: actions off: the rollout has ended');
    expect(m.frame()).not.toContain('reason: slow');
    await m.type(ENTER);
    expect(act).not.toHaveBeenCalled();
    m.r.unmount();
  });

  it('keys are inert, and the footer says so, without a terminal on stdin or once the rollout ended', async () => {
    const act = vi.fn<ActFn>(async () => answer({}));
    const noTty = mount(act, { input: false });
    await wait();
    expect(noTty.frame()).toContain('actions off: stdin is not a terminal');
    expect(noTty.frame()).not.toContain('keys: p pause');
    noTty.r.unmount();
    const ended = mount(act, { snap: { id: RID, ended: true } });
    await ended.type('p', 'x', ENTER);
    expect(ended.frame()).toContain('actions off: the rollout has ended');
    expect(ended.frame()).not.toContain('reason:');
    expect(act).not.toHaveBeenCalled();
    ended.r.unmount();
  });
});
