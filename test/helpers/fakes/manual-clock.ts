import type { Clock } from '../../../src/ports/clock.js';

interface Timer {
  next: number;
  ms: number;
  tick: () => void;
}

/** A clock tests move by hand, so TTLs, cooldowns and ages are exact and need no waiting. */
export class ManualClock implements Clock {
  private readonly timers = new Set<Timer>();

  constructor(public t = Date.parse('2026-01-15T09:00:00.000Z')) {}

  /** An arrow so it can be passed around unbound. */
  now = (): number => this.t;

  /**
   * A repeating timer on this clock (the shape of lease-keeper's `Every`): `advance` calls `tick` each time it
   * passes a multiple of `ms`, with the clock set to that moment. Returns the stop function.
   */
  every = (ms: number, tick: () => void): (() => void) => {
    const timer: Timer = { next: this.t + ms, ms, tick };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  };

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers].filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.tick();
    }
    this.t = end;
  }
}
