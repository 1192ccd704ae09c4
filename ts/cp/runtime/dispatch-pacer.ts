// Pacing of new dispatches: a token bucket that bounds how many hosts one
// reconcile tick may dispatch (`--dispatch-chunk`) and how fast dispatches
// are handed out overall (`--dispatch-rate`, hosts per second; 0 = no rate
// limit). Why: a wave of 9,000 hosts planned in one tick used to be applied
// and committed as one mutator command (a ~3 s event-loop stall at 10,000
// hosts), and 9,000 agents woken at once start 9,000 closure downloads from
// the binary cache and answer with ~45,000 events within seconds. Only the
// number of dispatches applied per tick changes: the planner still decides
// which hosts, and the hosts left over are planned again on the follow-up
// tick. Pure arithmetic; the caller passes `now`.

/** Token bucket of dispatches. */
export class DispatchPacer {
  private tokens: number;
  private last: number | null = null;

  /**
   * @param ratePerSec hosts per second (0: unlimited, chunks only bound the stall)
   * @param chunk most dispatches one tick applies (also the bucket's burst)
   */
  constructor(
    readonly ratePerSec: number,
    readonly chunk: number,
  ) {
    this.tokens = chunk;
  }

  /** Dispatches the tick starting at `now` may apply. */
  budget(now: number): number {
    if (this.ratePerSec <= 0) return this.chunk;
    if (this.last !== null) {
      this.tokens = Math.min(
        this.chunk,
        this.tokens + ((now - this.last) / 1000) * this.ratePerSec,
      );
    }
    this.last = now;
    return Math.min(this.chunk, Math.floor(this.tokens));
  }

  /** Records `n` dispatches applied. */
  take(n: number): void {
    if (this.ratePerSec > 0) this.tokens -= n;
  }

  /**
   * Delay before the follow-up tick when `left` dispatches were held back:
   * immediately (next turn of the event loop) without a rate, otherwise
   * when 1/20 s worth of tokens (at least one) is available, so dispatches
   * go out in small, evenly spaced steps rather than bursts: the agents a
   * step wakes answer together, and 25 answers queue far less than 125. A
   * step releases the held plan (O(step)), so steps are cheap.
   */
  followUpMs(left: number): number {
    if (this.ratePerSec <= 0) return 0;
    const step = Math.max(1, Math.min(left, this.chunk, Math.ceil(this.ratePerSec / 20)));
    const missing = Math.max(0, step - this.tokens);
    return Math.ceil((missing / this.ratePerSec) * 1000);
  }
}
