import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HealthTracker } from '../../../src/monitor/health-tracker.js';

describe('HealthTracker', () => {
  it('starts unknown, goes up after rise good rounds and down after fall bad ones', () => {
    const t = new HealthTracker({ rise: 3, fall: 2 }, 0);
    expect(t.state()).toMatchObject({ health: 'unknown', riseCount: 0, fallCount: 0 });
    expect(t.record({ ok: true }, 1)).toBeNull();
    expect(t.record({ ok: true }, 2)).toBeNull();
    expect(t.record({ ok: true }, 3)).toMatchObject({ from: 'unknown', to: 'up', at: 3 });
    expect(t.record({ ok: false, detail: '1/1 probes failed: icmp:10.20.0.10 no reply' }, 4)).toBeNull();
    expect(t.record({ ok: true }, 5)).toBeNull(); // a single loss resets the fall count
    expect(t.record({ ok: false }, 6)).toBeNull();
    const down = t.record({ ok: false, detail: '1/1 probes failed: icmp:10.20.0.10 no reply' }, 7);
    expect(down).toMatchObject({ from: 'up', to: 'down', at: 7 });
    expect(down?.reason).toMatch(/2 consecutive failed probe rounds \(fall 2\): 1\/1 probes failed/);
    expect(t.state()).toMatchObject({ health: 'down', since: 7, fallCount: 2, riseCount: 0 });
    expect(t.record({ ok: false }, 8)).toBeNull(); // no repeated change while it stays down
  });

  it('never reports down while failures stay below the fall threshold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 })), { maxLength: 50 }),
        (runs) => {
          const t = new HealthTracker({ rise: 1, fall: 3 }, 0);
          let at = 0;
          t.record({ ok: true }, at++);
          for (const [good, bad] of runs) {
            for (let i = 0; i < good; i++) expect(t.record({ ok: true }, at++)).toBeNull();
            for (let i = 0; i < bad; i++) expect(t.record({ ok: false }, at++)).toBeNull();
          }
          expect(t.state().health).toBe('up');
        },
      ),
    );
  });

  it('leads the down reason with a known cause (a certificate that stops the tunnel) instead of only the lost probes', () => {
    const t = new HealthTracker({ rise: 1, fall: 2 }, 0);
    const cause = 'certificate expired 2026-12-01 10:00 UTC (dc1-secondary-server)';
    t.record({ ok: false, detail: '1/1 probes failed', cause }, 1);
    expect(t.record({ ok: false, detail: '1/1 probes failed', cause }, 2)?.reason).toBe(
      `${cause}; 2 consecutive failed probe rounds (fall 2)`,
    );
  });
});
