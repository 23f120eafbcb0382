import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';

describe('SiteLock', () => {
  let clock: ManualClock;
  let store: Store;
  let lock: SiteLock;

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    lock = new SiteLock({ store, clock });
  });

  afterEach(async () => {
    await store.close();
  });

  it('stores the lease under lock/site:<name> with owner, purpose and the TTL', async () => {
    const lease = await lock.acquire('dc1', 'failover:U1:a', 60_000, 'failover to secondary');
    expect(lease).toEqual({
      site: 'dc1',
      owner: 'failover:U1:a',
      token: expect.stringMatching(/^[0-9a-f]{32}$/),
      expiresAt: clock.now() + 60_000,
    });
    expect(await store.get('lock', 'site:dc1')).toEqual({
      value: {
        owner: 'failover:U1:a',
        acquiredAt: new Date(clock.now()).toISOString(),
        purpose: 'failover to secondary',
      },
      version: 1,
      expiresAt: clock.now() + 60_000,
      token: lease?.token,
    });
    expect(await lock.holder('dc1')).toEqual({
      owner: 'failover:U1:a',
      purpose: 'failover to secondary',
      expiresAt: clock.now() + 60_000,
    });
    expect(await lock.holder('dc2')).toBeNull();
  });

  it('says who holds the lock, for what and until when, as the reason a run is refused', async () => {
    expect(await lock.heldReason('dc1')).toBeNull();
    expect(await lock.refusedReason('dc1')).toBe('the site lock of dc1 was just taken by someone else');
    await lock.acquire('dc1', 'redeploy:U1:a', 60_000, 'redeploy primary');
    const until = new Date(clock.now() + 60_000).toISOString();
    const reason = `dc1 is locked by redeploy:U1:a for redeploy primary (lease until ${until})`;
    expect(await lock.heldReason('dc1')).toBe(reason);
    expect(await lock.refusedReason('dc1')).toBe(reason);
  });

  it('gives the lock to exactly one of many concurrent acquirers', async () => {
    const leases = await Promise.all(
      Array.from({ length: 10 }, (_, i) => lock.acquire('dc1', `o${i}`, 60_000, 'test')),
    );
    expect(leases.filter((l) => l !== null)).toHaveLength(1);
  });

  it('frees the site on release and when the lease expires', async () => {
    const a = await lock.acquire('dc1', 'a', 10_000, 'p');
    await lock.release(a!);
    expect(await lock.holder('dc1')).toBeNull();
    expect(await lock.acquire('dc1', 'b', 10_000, 'p')).not.toBeNull();
    expect(await lock.acquire('dc1', 'c', 10_000, 'p')).toBeNull();
    clock.advance(10_000);
    expect(await lock.acquire('dc1', 'c', 10_000, 'p')).toMatchObject({ owner: 'c' });
  });

  it('renews a held lease and refuses to renew a lost one', async () => {
    const a = (await lock.acquire('dc1', 'a', 10_000, 'p'))!;
    clock.advance(6_000);
    const renewed = await lock.renew(a, 10_000);
    expect(renewed).toEqual({ ...a, expiresAt: clock.now() + 10_000 });
    expect(await store.get('lock', 'site:dc1')).toMatchObject({ expiresAt: clock.now() + 10_000 });
    expect(await lock.renew({ ...a, token: 'f'.repeat(32) }, 10_000)).toBeNull(); // not our token
    clock.advance(10_000);
    expect(await lock.renew(renewed!, 10_000)).toBeNull(); // expired
  });

  it('does not release or renew the next holder’s lease with an expired one at the same version', async () => {
    const a = (await lock.acquire('dc1', 'a', 1_000, 'p'))!;
    clock.advance(1_000);
    const b = (await lock.acquire('dc1', 'b', 60_000, 'p'))!;
    // Same store version (both records were created at 1); only the token tells them apart.
    expect((await store.get('lock', 'site:dc1'))?.version).toBe(1);
    expect(b.token).not.toBe(a.token);
    await lock.release(a);
    expect(await lock.renew(a, 60_000)).toBeNull();
    expect(await lock.holder('dc1')).toMatchObject({ owner: 'b' });
  });
});
