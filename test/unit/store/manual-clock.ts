import type { Clock } from '../../../src/ports/clock.js';

/** A clock tests move by hand, so TTL expiry is exact and needs no waiting. */
export class ManualClock implements Clock {
  constructor(private t = Date.parse('2026-01-15T09:00:00.000Z')) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
