// The operator keys of `nixfleet watch`: p pause, r resume, a abort, A approve
// on the watched rollout, each behind a prompt for the reason (see
// action-prompt.ts). The call itself is injected (`act`): the watch command
// passes the CP client's rolloutAction, the one `nixfleet rollout …` uses.
// Without a terminal on stdin, or once the rollout has ended, the keys are
// inert and the last line says why.
import { Box, Text, useInput, type Key } from 'ink';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { ApiRolloutAction } from '../../contracts/index.ts';
import {
  ACTION_KEYS,
  answerResult,
  errorResult,
  IDLE,
  promptKey,
  type PromptState,
  type WatchAction,
} from './action-prompt.ts';

/** Sends one action on the watched rollout. */
export type ActFn = (action: WatchAction, reason: string) => Promise<ApiRolloutAction>;

/** Props of {@link ActionKeys}. */
export interface ActionKeysProps {
  /** The watched rollout; null when there is none. */
  readonly rolloutId: string | null;
  /** Whether the rollout has ended (nothing to act on). */
  readonly ended: boolean;
  /** Whether stdin is a terminal (keys can be read). */
  readonly input: boolean;
  readonly act: ActFn;
  /** Leave the view (an idle q or Esc). */
  readonly quit: () => void;
  readonly color?: boolean;
}

const KEYS_LINE = `keys: ${ACTION_KEYS.map(([k, a]) => `${k} ${a}`).join(' · ')}`;

function PromptInput(props: { readonly onKey: (input: string, key: Key) => void }): null {
  useInput((input, key) => props.onKey(input, key));
  return null;
}

function Prompt(props: {
  readonly s: PromptState;
  readonly id: string;
  readonly color: boolean;
}): ReactElement | null {
  const { s, id, color } = props;
  const warn = color ? 'yellow' : undefined;
  if (s.step === 'reason') {
    return (
      <Box flexDirection="column">
        <Text wrap="wrap">{`${s.action} ${id} — reason: ${s.reason}█`}</Text>
        {s.problem === null ? null : <Text color={warn}>{s.problem}</Text>}
        <Text dimColor={color}>Enter to send · Esc to cancel</Text>
      </Box>
    );
  }
  if (s.step === 'confirm') {
    return (
      <Box flexDirection="column">
        <Text wrap="wrap" color={color ? 'red' : undefined}>
          {`abort is final: nothing more of ${id} is dispatched, and resume cannot undo it.`}
        </Text>
        <Text wrap="wrap">{`type ${id} or abort to confirm: ${s.typed}█`}</Text>
        {s.problem === null ? null : <Text color={warn}>{s.problem}</Text>}
        <Text dimColor={color}>Enter to abort · Esc to cancel</Text>
      </Box>
    );
  }
  if (s.step === 'sending') return <Text>{`${s.action} ${id}: sending…`}</Text>;
  if (s.result === null) return null;
  const tone =
    s.result.kind === 'applied' ? 'green' : s.result.kind === 'already' ? undefined : 'red';
  return (
    <Text wrap="wrap" color={color ? tone : undefined}>
      {s.result.text}
    </Text>
  );
}

/**
 * The prompt, the last result, and the keys line.
 *
 * @example <ActionKeys rolloutId="stable@3f2a9c1d" ended={false} input act={act} quit={quit} />
 */
export function ActionKeys(props: ActionKeysProps): ReactElement {
  const [s, setShown] = useState<PromptState>(IDLE);
  // Keys can arrive faster than React re-renders: each one steps from the latest state.
  const cur = useRef<PromptState>(IDLE);
  const setS = (next: PromptState): void => {
    cur.current = next;
    setShown(next);
  };
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  const { rolloutId, ended, input } = props;
  const color = props.color ?? false;
  const off = !input
    ? 'actions off: stdin is not a terminal (use nixfleet rollout pause|resume|abort|approve)'
    : rolloutId === null
      ? 'actions off: no rollout to act on'
      : ended
        ? 'actions off: the rollout has ended'
        : null;
  // A prompt is for the rollout it named: when that one ends or another takes its place
  // (watch without an id follows the newest), the prompt closes unsent.
  useEffect(() => {
    const step = cur.current.step;
    if (step !== 'reason' && step !== 'confirm') return;
    const why = off ?? 'the watched rollout changed';
    setS({ step: 'idle', result: { kind: 'failed', text: `prompt closed, nothing sent: ${why}` } });
  }, [rolloutId, off]);
  const send = (action: WatchAction, reason: string): void => {
    props.act(action, reason).then(
      (a) => live.current && setS({ step: 'idle', result: answerResult(action, a) }),
      (e: unknown) =>
        live.current && setS({ step: 'idle', result: errorResult(action, e as Error) }),
    );
  };
  const onKey = (ch: string, key: Key): void => {
    if (off !== null || rolloutId === null) {
      if (ch === 'q' || key.escape) props.quit();
      return;
    }
    // A slow link can deliver typed text and its Enter as one chunk: each newline is an Enter.
    const steps: (readonly [string, Key])[] = [];
    if (!key.return) {
      ch.split(/\r\n?|\n/).forEach((part, i) => {
        if (i > 0) steps.push(['', { ...key, return: true }]);
        if (part !== '') steps.push([part, key]);
      });
    }
    if (steps.length === 0) steps.push([ch, key]);
    for (const [c, k] of steps) {
      const next = promptKey(cur.current, c, k, rolloutId);
      if (next.quit) return props.quit();
      setS(next.state);
      if (next.send) send(next.send.action, next.send.reason);
    }
  };
  return (
    <Box flexDirection="column">
      {input ? <PromptInput onKey={onKey} /> : null}
      {rolloutId === null ? null : <Prompt s={s} id={rolloutId} color={color} />}
      <Text dimColor={color} wrap="wrap">
        {off ?? (s.step === 'idle' ? KEYS_LINE : '')}
      </Text>
    </Box>
  );
}
