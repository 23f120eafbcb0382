import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Chat } from '../../../src/ports/chat.js';
import type { Store } from '../../../src/ports/store.js';
import { ApprovalNotifier } from '../../../src/services/approvals/approval-notifier.js';
import { ApprovalStore } from '../../../src/services/approvals/approval-store.js';
import { ApprovalTransitions } from '../../../src/services/approvals/approval-transitions.js';
import { keepExecutionLease } from '../../../src/services/approvals/execution-lease.js';
import { keepSiteLease, LeaseKeeper, LeaseLost } from '../../../src/services/execution/lease-keeper.js';
import { type Lease, SiteLock } from '../../../src/services/execution/site-lock.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { demoTopology } from '../../helpers/test-app.js';
import { pendingRequest } from '../approvals/pending-request.js';

/** Lets the renewal a tick started (a promise over SQLite) finish. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const TTL = 10_000;

describe('LeaseKeeper on a site lease (SQLite store, manual clock)', () => {
  let clock: ManualClock;
  let store: Store;
  let lock: SiteLock;
  let renewals: number;
  let keeper: LeaseKeeper | undefined;

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    lock = new SiteLock({ store, clock });
    renewals = 0;
    const renew = lock.renew.bind(lock);
    lock.renew = (lease: Lease, ttlMs: number) => {
      renewals++;
      return renew(lease, ttlMs);
    };
  });

  afterEach(async () => {
    keeper?.stop();
    keeper = undefined;
    await store.close();
  });

  const keep = async (): Promise<LeaseKeeper> => {
    const lease = await lock.acquire('dc1', 'A', TTL, 'failover to secondary');
    if (!lease) throw new Error('no lease');
    keeper = keepSiteLease({ lock, lease, ttlMs: TTL, clock, log: silentLogger(), every: clock.every });
    return keeper;
  };

  /** Moves the clock one renewal period (a quarter of the TTL) at a time, letting each renewal land. */
  const runFor = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= TTL / 4) {
      clock.advance(Math.min(TTL / 4, left));
      await settle();
    }
  };

  it('renews every quarter of the TTL, so the lease outlives its TTL many times over', async () => {
    const k = await keep();
    await runFor(10 * TTL);
    expect(renewals).toBe(40);
    expect(k.lost).toBe(false);
    expect((await store.get('lock', 'site:dc1'))?.expiresAt).toBe(clock.now() + TTL);
    expect((await lock.holder('dc1'))?.owner).toBe('A');
    expect(await lock.acquire('dc1', 'B', TTL, 'redeploy primary')).toBeNull();

    // Not renewed, the same lease is gone one TTL later, and the keeper says so.
    k.stop();
    await runFor(TTL);
    expect(renewals).toBe(40);
    expect(await lock.holder('dc1')).toBeNull();
    expect(k.lost).toBe(true);
  });

  it('tells the holder at once when a renewal finds the lease taken, and stops renewing', async () => {
    const k = await keep();
    const signal = k.signal;
    const callSignal = k.callSignal();
    // Someone who took A for dead breaks its lease (under the token it read) and D takes the site.
    const read = await store.get('lock', 'site:dc1');
    expect(await store.deleteIfToken('lock', 'site:dc1', read?.token ?? '')).toBe(true);
    expect(await lock.acquire('dc1', 'D', 10 * TTL, 'failover to primary')).not.toBeNull();

    expect(signal.aborted).toBe(false);
    clock.advance(TTL / 4); // the next renewal tick
    await settle();
    expect(renewals).toBe(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LeaseLost);
    expect(callSignal.aborted).toBe(true);
    expect(k.lost).toBe(true);
    expect(() => k.assertHeld()).toThrow(/lost the site lock mid-way \(another holder has it now/);

    await runFor(TTL);
    expect(renewals).toBe(1);
    // Releasing the lost lease leaves D's alone.
    await k.release();
    expect((await lock.holder('dc1'))?.owner).toBe('D');
  });

  it('release frees the site for the next holder and stops renewing', async () => {
    const k = await keep();
    await runFor(TTL / 2);
    expect(renewals).toBe(2);
    await k.release();
    expect(await lock.holder('dc1')).toBeNull();
    expect(await lock.acquire('dc1', 'B', 10 * TTL, 'redeploy primary')).not.toBeNull();
    await runFor(TTL);
    expect(renewals).toBe(2);
    expect((await lock.holder('dc1'))?.owner).toBe('B');
  });
});

describe('LeaseKeeper over any renewable lease', () => {
  it('retries a renewal that fails, and counts the lease lost when its time (less the margin) runs out', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const keeper = new LeaseKeeper({
      lease: {
        expiresAt: clock.now() + TTL,
        renew: async () => {
          attempts++;
          throw new Error('store unreachable');
        },
      },
      name: 'test lease',
      everyMs: TTL / 4,
      clock,
      log: silentLogger(),
      safetyMs: 250,
      every: clock.every,
    });
    try {
      for (let i = 0; i < 3; i++) {
        clock.advance(TTL / 4);
        await settle();
      }
      expect(attempts).toBe(3);
      expect(keeper.lost).toBe(false);
      clock.advance(TTL / 4 - 250);
      await settle();
      expect(keeper.lost).toBe(true);
      expect(keeper.signal.aborted).toBe(true);
      expect(() => keeper.assertHeld()).toThrow(/lost the test lease mid-way \(the lease ran out/);
    } finally {
      keeper.stop();
    }
  });
});

describe('keepExecutionLease (an approved run against the sweep)', () => {
  const silentChat = {} as Chat;

  it('moves leaseUntil ahead while the request executes, and stops once it no longer does', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const requests = new ApprovalStore(store, clock.now);
    const log = silentLogger();
    const notifier = new ApprovalNotifier({ topology: demoTopology(), chat: silentChat, log });
    const transitions = new ApprovalTransitions({ requests, notifier, store, clock, log });
    const leaseMs = 60_000;
    const running = pendingRequest({
      state: 'executing',
      createdAt: clock.now(),
      expiresAt: clock.now() + 15 * 60_000,
      startedAt: clock.now(),
      leaseUntil: clock.now() + leaseMs,
    });
    expect(await requests.create(running)).toMatchObject({ created: true });
    const keeper = keepExecutionLease({
      transitions,
      id: running.id,
      leaseUntil: clock.now() + leaseMs,
      clock,
      leaseMs,
      log,
      every: clock.every,
    });
    try {
      for (let i = 0; i < 12; i++) {
        clock.advance(leaseMs / 4);
        await settle();
      }
      expect((await requests.get(running.id))?.value.leaseUntil).toBe(clock.now() + leaseMs);
      expect(keeper.lost).toBe(false);

      // The sweep closed it (this process was taken for dead): the next tick finds it so and stops there.
      const rec = await requests.get(running.id);
      if (!rec) throw new Error('no request');
      expect(await requests.compareAndSet(rec.version, { ...rec.value, state: 'failed' })).toBe(true);
      clock.advance(leaseMs / 4);
      await settle();
      expect(keeper.lost).toBe(true);
      expect(keeper.signal.aborted).toBe(true);
      const closed = await requests.get(running.id);
      clock.advance(leaseMs);
      await settle();
      expect((await requests.get(running.id))?.version).toBe(closed?.version);
    } finally {
      keeper.stop();
      await store.close();
    }
  });
});
