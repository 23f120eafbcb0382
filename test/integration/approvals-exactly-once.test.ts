import { afterEach, describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  APPROVER2,
  buttonPayload,
  countingAccount,
  ephemeralsTo,
  hasButtons,
  interact,
  messageOf,
  requestFailover,
  requestState,
  startApprovalApp,
  tempDataDirs,
  waitFor,
  waitForState,
} from './approvals-support.js';

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

describe('exactly once: double clicks, retried deliveries and racing approvers run the failover once', () => {
  let app: TestApp | undefined;
  const newDataDir = tempDataDirs('tunnelops-approvals-');
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a double click (the same payload twice at once) executes once', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    const click = buttonPayload(app, id, APPROVER1, 'approval_approve');
    const statuses = await Promise.all([interact(app, click), interact(app, click)]);
    expect(statuses).toEqual([200, 200]);
    await waitForState(app, id, ['succeeded', 'failed']);
    await settle();
    expect(replaces).toHaveLength(4);
    const audit = (await app.ctx.store.listAudit({ site: 'dc1' })).filter((e) => e.requestId === id);
    expect(audit.filter((e) => e.event === 'approved')).toHaveLength(1);
    expect(audit.filter((e) => e.event === 'started')).toHaveLength(1);
    expect(ephemeralsTo(app, APPROVER1)).toHaveLength(1);
    expect(ephemeralsTo(app, APPROVER1)[0]).toMatch(/already approved by <@UAPPROVER1>/);
  });

  it('two approvers clicking at once: one approval, one execution, the other is told who won', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    await Promise.all([
      interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve')),
      interact(app, buttonPayload(app, id, APPROVER2, 'approval_approve')),
      interact(app, buttonPayload(app, id, APPROVER2, 'approval_approve')), // and a retried delivery
    ]);
    const done = await waitForState(app, id, ['succeeded', 'failed']);
    await settle();
    expect(done.state).toBe('succeeded');
    expect(replaces).toHaveLength(4);
    const loser = done.approver === APPROVER1 ? APPROVER2 : APPROVER1;
    const told = [...ephemeralsTo(app, APPROVER1), ...ephemeralsTo(app, APPROVER2)];
    expect(told).toHaveLength(2);
    expect(told.every((t) => t.includes(`already approved by <@${done.approver}>`))).toBe(true);
    expect(ephemeralsTo(app, loser).length).toBeGreaterThanOrEqual(1);
  });

  it('a retried delivery after the run finished changes nothing', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    const click = buttonPayload(app, id, APPROVER1, 'approval_approve');
    await interact(app, click);
    await waitForState(app, id, ['succeeded']);
    await waitFor('final message', () => (/Done in/.test(messageOf(app!, id).text) ? true : undefined));
    const final = messageOf(app, id);
    expect(hasButtons(final)).toBe(false);
    await interact(app, click);
    await waitFor('the refusal', () => (ephemeralsTo(app!, APPROVER1).length ? true : undefined));
    expect(ephemeralsTo(app, APPROVER1)[0]).toMatch(/has already run/);
    expect(replaces).toHaveLength(4);
    expect(messageOf(app, id)).toEqual(final);
  });

  it('a pending request survives a restart of the server (same data dir) and is approved afterwards', async () => {
    const dataDir = newDataDir();
    const first = countingAccount(systemClock);
    app = await startApprovalApp({ account: first.account, dataDir });
    const id = await requestFailover(app);
    const ref = (await requestState(app, id)).message;
    const click = buttonPayload(app, id, APPROVER1, 'approval_approve');
    await app.close();

    const second = countingAccount(systemClock);
    app = await startApprovalApp({ account: second.account, dataDir });
    const resumed = await requestState(app, id);
    expect(resumed.state).toBe('pending');
    expect(resumed.message).toEqual(ref);
    // The click comes from the message posted by the first process; the new stand-in has not seen it,
    // so only the request (not the message) carries over: the update goes to the same channel and ts.
    expect(await interact(app, click)).toBe(200);
    const done = await waitForState(app, id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(first.replaces).toHaveLength(0);
    expect(second.replaces).toHaveLength(4);
    const updates = app.slackStandin!.callsTo('chat.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => u.args.ts === ref?.ts && u.args.channel === ref?.channel)).toBe(true);
  });

  it('two server processes on one store, one approver clicking on each: one execution', async () => {
    const dataDir = newDataDir();
    // Both servers drive the same (simulated) account, as two bot replicas would.
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account, dataDir });
    const other = await startApprovalApp({ account, dataDir });
    try {
      const id = await requestFailover(app);
      await Promise.all([
        interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve')),
        interact(other, buttonPayload(app, id, APPROVER2, 'approval_approve')),
      ]);
      const done = await waitForState(app, id, ['succeeded', 'failed']);
      await settle();
      expect(done.state).toBe('succeeded');
      expect(replaces).toHaveLength(4);
      const audit = (await app.ctx.store.listAudit({ site: 'dc1' })).filter((e) => e.requestId === id);
      expect(audit.filter((e) => e.event === 'approved')).toHaveLength(1);
      expect(audit.filter((e) => e.event === 'routes-changed')).toHaveLength(4);
    } finally {
      await other.close();
    }
  });
});
