import type { Clock } from '../../../src/ports/clock.js';

/** A clock tests move by hand, so TTLs, cooldowns and ages are exact and need no waiting. */
export class ManualClock implements Clock {
  constructor(public t = Date.parse('2026-01-15T09:00:00.000Z')) {}

  /** An arrow so it can be passed around unbound. */
  now = (): number => this.t;

  advance(ms: number): void {
    this.t += ms;
  }
}
