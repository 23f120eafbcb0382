import { describe, expect, it } from '@jest/globals';
import { createSandboxAccount } from '../../src/local/sandbox-account.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { silentLogger } from '../../src/log.js';
import type { RouteTables } from '../../src/ports/route-tables.js';
import { EXECUTION_LEASE_MS } from '../../src/services/approvals/approval-execution.js';
import { ApprovalService } from '../../src/services/approvals/approval-service.js';
import { FailoverExecutor } from '../../src/services/failover/failover-executor.js';
import { RedeployExecutor } from '../../src/services/redeploy/redeploy-executor.js';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { demoTopology } from '../helpers/test-app.js';
import { silentChat } from './support.js';

// Finding 6: an approved run's lease was set once (5 min) and never renewed, so the sweep closed a request
// that was still running as "interrupted" and its real result was dropped.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('finding 6: a running approval keeps its lease; the sweep leaves it alone', () => {
  it('a failover running longer than its lease is not closed by the sweep and records its real result', async () => {
    const clock = new ManualClock(Date.now());
    const topology = demoTopology();
    const store = new SqliteStore({ path: ':memory:', clock });
    const inner = createSandboxAccount({ topology, clock });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // The first route replace hangs until the test lets it go: a run that takes long.
    const routeTables: RouteTables = {
      observe: (sites) => inner.routeTables.observe(sites),
      replace: async (site, table, cidr, tunnel) => {
        await gate;
        await inner.routeTables.replace(site, table, cidr, tunnel);
      },
      create: (site, table, cidr, tunnel) => inner.routeTables.create(site, table, cidr, tunnel),
    };
    const log = silentLogger();
    const common = { store, routeTables, clock, log };
    const approvals = new ApprovalService({
      ...common,
      topology,
      chat: silentChat,
      // The site lock (renewed between route steps) is not what this test is about: long enough here.
      failover: new FailoverExecutor({
        ...common,
        checkTarget: async () => ({ healthy: true, reason: 'up' }),
        lockTtlMs: 3600_000,
      }),
      redeploy: new RedeployExecutor({ ...common, tasks: inner.tasks }),
      leaseRenewMs: 10,
    });
    let run: Promise<unknown> = Promise.resolve();
    try {
      const asked = await approvals.request({ action: 'failover', site: 'dc1', requester: 'UREQUESTER' });
      if (!asked.ok) throw new Error(asked.reason);
      const id = asked.request.id;
      run = approvals.approve(id, 'UAPPROVER1');
      for (let i = 0; i < 100 && (await approvals.get(id))?.state !== 'executing'; i++) await sleep(10);
      expect((await approvals.get(id))?.state).toBe('executing');

      // Three lease lengths pass while it runs (renewals happen in between); the sweep runs each time.
      for (let i = 0; i < 6; i++) {
        clock.advance(EXECUTION_LEASE_MS.failover / 2);
        await sleep(60);
        expect(await approvals.expireDue()).toBe(0);
        expect((await approvals.get(id))?.state).toBe('executing');
      }
      release();
      expect(await run).toMatchObject({ ok: true });
      expect((await approvals.get(id))?.state).toBe('succeeded');
    } finally {
      release();
      await run.catch(() => undefined);
      await store.close();
    }
  });
});
