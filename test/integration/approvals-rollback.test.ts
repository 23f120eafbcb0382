import { afterEach, describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  buttonPayload,
  command,
  countingAccount,
  interact,
  messageOf,
  requestFailover,
  startApprovalApp,
  waitFor,
  waitForState,
} from './approvals-support.js';

describe('a ReplaceRoute failure mid-way', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('rolls back the routes already moved and reports it in the request message', async () => {
    // The third of four ReplaceRoute calls fails (throttled). The four go out together, so three moved; every
    // route the run touched (the throttled one too: an error may hide an applied call) is converged back.
    const { account, replaces } = countingAccount(systemClock, (n) => n === 3);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'));
    const done = await waitForState(app, id, ['succeeded', 'failed']);
    expect(done.state).toBe('failed');
    expect(done.result?.summary).toMatch(/rolled back 4/);

    const moved = replaces.slice(0, 4);
    const rollback = replaces.slice(4);
    expect(moved.map((r) => r.tunnel)).toEqual(['secondary', 'secondary', 'secondary', 'secondary']);
    expect(rollback).toHaveLength(4);
    expect(rollback.every((r) => r.tunnel === 'primary')).toBe(true);
    expect(new Set(rollback.map((r) => `${r.routeTableId} ${r.cidr}`))).toEqual(
      new Set(moved.map((r) => `${r.routeTableId} ${r.cidr}`)),
    );

    const observed = (await account.routeTables.observe(app.ctx.topology.sites)).get('dc1');
    expect(observed?.ok && observed.value.every((o) => o.tunnel === 'primary')).toBe(true);

    await waitFor('the failure in the message', () =>
      /Failed/.test(messageOf(app!, id).text) ? true : undefined,
    );
    const text = messageOf(app, id).text;
    expect(text).toMatch(/RequestLimitExceeded|rate limit/);
    expect(text).toMatch(/rolled back 4/);
    expect(await command(app, 'status dc1', APPROVER1)).toMatch(/primary/);

    const events = (await app.ctx.store.listAudit({ site: 'dc1' }))
      .filter((e) => e.requestId === id)
      .map((e) => e.event);
    expect(events.filter((e) => e === 'routes-changed')).toHaveLength(3);
    expect(events).toContain('rolled-back');
    expect(events.at(-1)).toBe('failed');
    // The site is free again: a new request can be made.
    expect(await requestFailover(app)).not.toBe(id);
  });
});
