import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  countingAccount,
  REQUESTER,
  requestState,
  startApprovalApp,
  tempDataDirs,
} from './approvals-support.js';

/** A run left "executing" by a process that died, its lease over, as the store holds it. */
async function seedAbandonedRun(dataDir: string, id: string): Promise<void> {
  const store = new SqliteStore({ path: join(dataDir, 'tunnelops.sqlite') });
  const now = Date.now();
  const request: ApprovalRequest = {
    id,
    action: 'failover',
    site: 'dc1',
    requester: REQUESTER,
    to: 'secondary',
    state: 'executing',
    createdAt: now - 10 * 60_000,
    expiresAt: now + 5 * 60_000,
    approver: APPROVER1,
    approvedAt: now - 9 * 60_000,
    startedAt: now - 9 * 60_000,
    leaseUntil: now - 4 * 60_000,
    message: { channel: 'C0SANDBOX1', ts: '1700000000.000001' },
  };
  await store.create('approval-open', 'dc1/failover', { id });
  await store.create('approval', id, request);
  await store.close();
}

describe('resuming after a restart: runs abandoned mid-way are reconciled from the route tables', () => {
  let app: TestApp | undefined;
  const newDataDir = tempDataDirs('tunnelops-resume-');
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('routes all on the target: the run is recorded as succeeded', async () => {
    const dataDir = newDataDir();
    await seedAbandonedRun(dataDir, 'fo-abcdef');
    const { account } = countingAccount(systemClock);
    const site = (await import('../helpers/test-app.js')).demoTopology().sites[0]!;
    // The dead process had moved every route before it died.
    for (const rtb of site.routeTableIds)
      for (const cidr of site.onPremCidrs) await account.routeTables.replace(site, rtb, cidr, 'secondary');

    app = await startApprovalApp({ account, dataDir });
    const r = await requestState(app, 'fo-abcdef');
    expect(r.state).toBe('succeeded');
    expect(r.result?.summary).toMatch(/interrupted.*all 4 route\(s\) on secondary/);
    const update = app.slackStandin!.callsTo('chat.update').at(-1);
    expect(update?.args.ts).toBe('1700000000.000001');
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual(['reconciled']);
    // The site+action slot is free again.
    expect(await app.ctx.services.approvals.store.openFor('dc1', 'failover')).toBeNull();
  });

  it('routes not moved: the run is recorded as failed and says what the routes show', async () => {
    const dataDir = newDataDir();
    await seedAbandonedRun(dataDir, 'fo-ghjkmn');
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account, dataDir });
    const r = await requestState(app, 'fo-ghjkmn');
    expect(r.state).toBe('failed');
    expect(r.result?.summary).toMatch(/0\/4 route\(s\) on secondary/);
    expect(replaces).toHaveLength(0);
  });
});
