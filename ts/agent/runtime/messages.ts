// What workers feed the reducer loop. Owns only data shapes.
import type { Dispatch } from '../../contracts/index.ts';
import type { LocalHostEvent, OnHealthFailure } from '../../core/index.ts';
import { wakeOrAbort } from '../clock.ts';

/** A refusal the dispatch worker decided before the reducer (manifest or closure problem). */
export type AgentRefusal = NonNullable<
  Extract<LocalHostEvent, { readonly kind: 'DispatchReceived' }>['refusal']
>;

/** A message to the reducer loop. */
export type LoopMessage =
  /** A local observation for the current record (activation, probes, timer). */
  | { readonly kind: 'host'; readonly event: LocalHostEvent }
  /** A dispatch whose manifest verified (membership resolved, closure realised if in it). */
  | {
      readonly kind: 'dispatch';
      readonly dispatch: Dispatch;
      readonly receivedAt: number;
      readonly manifestTarget: string | null;
      readonly onHealthFailure: OnHealthFailure;
    }
  /** A dispatch refused before the reducer (manifest or closure problem). */
  | {
      readonly kind: 'refuse';
      readonly dispatch: Dispatch;
      readonly receivedAt: number;
      readonly reason: AgentRefusal['reason'];
      readonly detail: string;
      /**
       * The cause may go away (manifest or closure unavailable): a later
       * re-dispatch of the same rollout is processed again instead of being
       * ignored as already handled.
       */
      readonly retryable: boolean;
    };

/** A single-consumer FIFO the loop drains. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | null = null;

  /** Appends a message and wakes the consumer. */
  post(item: T): void {
    this.items.push(item);
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Next message, or `null` when `signal` aborts while waiting. */
  async take(signal: AbortSignal): Promise<T | null> {
    while (this.items.length === 0) {
      if (signal.aborted) return null;
      await wakeOrAbort(signal, (wake) => {
        this.waiter = wake;
      });
    }
    return this.items.shift() as T;
  }

  /** Messages waiting. */
  get size(): number {
    return this.items.length;
  }
}
