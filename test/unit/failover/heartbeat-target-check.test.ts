import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { heartbeatTargetCheck } from '../../../src/services/failover/heartbeat-target-check.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { testTopology } from './fakes.js';

describe('heartbeatTargetCheck (the automatic path asks the monitor before moving routes)', () => {
  const site = testTopology().sites[0]!; // heartbeatStaleSeconds 10
  let clock: ManualClock;
  let store: SqliteStore;
  let check: ReturnType<typeof heartbeatTargetCheck>;

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    check = heartbeatTargetCheck({ store, clock });
  });
  afterEach(() => store.close());

  it('refuses a tunnel whose monitor never reported', async () => {
    expect(await check(site, 'secondary')).toEqual({
      healthy: false,
      reason: 'secondary has no fresh heartbeat',
    });
  });

  it('accepts a fresh "up" heartbeat and refuses it once stale', async () => {
    await putHeartbeat(store, heartbeat('secondary', 'up', clock.now()));
    clock.advance(10_000);
    expect(await check(site, 'secondary')).toMatchObject({
      healthy: true,
      reason: expect.stringMatching(/up \(5 good rounds/),
    });
    clock.advance(1);
    expect(await check(site, 'secondary')).toEqual({
      healthy: false,
      reason: 'secondary has no fresh heartbeat',
    });
  });

  it('refuses a tunnel its monitor reports down, however fresh', async () => {
    await putHeartbeat(store, heartbeat('secondary', 'down', clock.now()));
    expect(await check(site, 'secondary')).toEqual({
      healthy: false,
      reason: 'secondary is down (needs rise 5)',
    });
  });

  it('refuses a tunnel whose certificate stops it, even while its probes still pass (refused at the next handshake)', async () => {
    const beat = heartbeat('secondary', 'up', clock.now());
    beat.certFault = 'certificate expired 2026-12-01 10:00 UTC (dc1-secondary-server)';
    await putHeartbeat(store, beat);
    expect(await check(site, 'secondary')).toEqual({
      healthy: false,
      reason: 'secondary is unfit: certificate expired 2026-12-01 10:00 UTC (dc1-secondary-server)',
    });
  });
});
