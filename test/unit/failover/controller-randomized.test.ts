import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { controllerHarness } from './controller-harness.js';
import { testTopology } from './fakes.js';

const FALL = 3;
const RISE = 5;

/** Good and bad rounds where no run of failures reaches the fall threshold (intermittent loss). */
const intermittent = (maxLen: number) =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: FALL - 1 })), {
      minLength: 1,
      maxLength: maxLen,
    })
    .map((runs) =>
      runs.flatMap(([good, bad]) => [...Array<boolean>(good).fill(true), ...Array<boolean>(bad).fill(false)]),
    );

const zip = (a: boolean[], b: boolean[]) =>
  Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i] ?? true, b[i] ?? true] as const);

describe('controller under random health sequences (auto mode, fake clock)', () => {
  it('intermittent loss below the fall threshold on both tunnels never fails over', async () => {
    await fc.assert(
      fc.asyncProperty(intermittent(20), intermittent(20), async (p, s) => {
        const h = controllerHarness(testTopology({ mode: 'auto' }));
        try {
          for (let i = 0; i < RISE; i++) await h.step(true, true); // both monitors reach "up"
          for (const [a, b] of zip(p, s)) await h.step(a, b);
          await h.controller.reconcileAll();
          expect(h.account.routeTables.replaced).toEqual([]);
          expect(h.failovers()).toEqual([]);
          expect(h.account.routeTables.activeOf('dc1')).toEqual(['primary']);
        } finally {
          await h.close();
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a real outage of the active tunnel fails over exactly once, onto the healthy one, and never back', async () => {
    await fc.assert(
      fc.asyncProperty(
        intermittent(10),
        fc.integer({ min: FALL, max: 40 }),
        intermittent(20),
        intermittent(30),
        async (before, outageLen, after, standby) => {
          const h = controllerHarness(testTopology({ mode: 'auto' }));
          try {
            for (let i = 0; i < RISE; i++) await h.step(true, true);
            // Primary: some loss, a real outage, then it recovers with loss again; secondary: loss below fall.
            const primary = [...before, ...Array<boolean>(outageLen).fill(false), ...after];
            for (const [a, b] of zip(primary, standby)) await h.step(a, b);
            await h.controller.reconcileAll();
            const rt = h.account.routeTables;
            expect(h.failovers()).toHaveLength(1);
            expect(h.failovers()[0]?.result).toMatchObject({
              ok: true,
              from: 'primary',
              to: 'secondary',
              changed: 4,
            });
            expect(rt.replaced).toHaveLength(4); // 2 route tables x 2 CIDRs, once
            expect(rt.activeOf('dc1')).toEqual(['secondary']);
            const audit = await h.store.listAudit({ site: 'dc1' });
            expect(audit.filter((e) => e.event === 'succeeded' && e.actor === 'controller')).toHaveLength(1);
            expect(h.chat.posts.filter((p) => /Automatic failover of \*dc1\*/.test(p.text))).toHaveLength(1);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
