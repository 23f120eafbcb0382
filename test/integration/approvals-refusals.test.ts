import { afterEach, describe, expect, it } from '@jest/globals';
import { SlackCommandClient } from '../../src/local/slack-command-client.js';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  APPROVER2,
  buttonPayload,
  command,
  countingAccount,
  denySubmission,
  ephemeralsTo,
  hasButtons,
  interact,
  messageOf,
  movableClock,
  REQUESTER,
  requestFailover,
  requestState,
  startApprovalApp,
  waitFor,
} from './approvals-support.js';

/** Lets the listeners that run after the ack finish. */
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('approval refusals: each one tells the person why, ephemerally, and changes nothing', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('the requester cannot approve their own request, even when they are an approver', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app, APPROVER2);
    const before = messageOf(app, id);
    expect(await interact(app, buttonPayload(app, id, APPROVER2, 'approval_approve'))).toBe(200);
    const [refusal] = await waitFor('the refusal', () => {
      const e = ephemeralsTo(app!, APPROVER2);
      return e.length ? e : undefined;
    });
    expect(refusal).toMatch(/two-person/);
    await settle();
    expect((await requestState(app, id)).state).toBe('pending');
    expect(replaces).toHaveLength(0);
    expect(messageOf(app, id)).toEqual(before);
  });

  it('a user who is not an approver is refused', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    await interact(app, buttonPayload(app, id, 'UBYSTANDER', 'approval_approve'));
    const [refusal] = await waitFor('the refusal', () => {
      const e = ephemeralsTo(app!, 'UBYSTANDER');
      return e.length ? e : undefined;
    });
    expect(refusal).toMatch(/not an approver for site dc1/);
    await settle();
    expect((await requestState(app, id)).state).toBe('pending');
    expect(replaces).toHaveLength(0);
    expect(hasButtons(messageOf(app, id))).toBe(true);
  });

  it('an approver listed through a Slack user group may approve (usergroups.users.list)', async () => {
    const { account, replaces } = countingAccount(systemClock);
    const topology = (await import('../helpers/test-app.js')).demoTopology();
    topology.sites[0]!.approvers = { users: [], userGroups: ['S0ONCALL'] };
    app = await startApprovalApp({ account, topology });
    // The app builds its own stand-in; give it the group's members (what usergroups.users.list answers).
    (
      app.slackStandin as unknown as { options: { userGroups: Record<string, string[]> } }
    ).options.userGroups = {
      S0ONCALL: ['UGROUPMEMBER'],
    };
    const id = await requestFailover(app);
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'));
    await waitFor('the refusal', () => (ephemeralsTo(app!, APPROVER1).length ? true : undefined));
    await interact(app, buttonPayload(app, id, 'UGROUPMEMBER', 'approval_approve'));
    await waitFor('success', async () =>
      (await requestState(app!, id)).state === 'succeeded' ? true : undefined,
    );
    expect(replaces).toHaveLength(4);
    expect(app.slackStandin!.callsTo('usergroups.users.list')[0]?.args.usergroup).toBe('S0ONCALL');
  });

  it('an expired request cannot be approved; its message says so and loses its buttons', async () => {
    const clock = movableClock();
    const { account, replaces } = countingAccount(clock);
    app = await startApprovalApp({ account, clock });
    const id = await requestFailover(app, REQUESTER, '"flapping"', clock);
    clock.advance(16 * 60_000); // the demo topology's approvalExpiryMinutes is 15
    expect(await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'), clock)).toBe(200);
    const [refusal] = await waitFor('the refusal', () => {
      const e = ephemeralsTo(app!, APPROVER1);
      return e.length ? e : undefined;
    });
    expect(refusal).toMatch(/expired/);
    await waitFor('the expired message', () => (hasButtons(messageOf(app!, id)) ? undefined : true));
    expect(messageOf(app, id).text).toMatch(/Expired/);
    expect((await requestState(app, id)).state).toBe('expired');
    expect(replaces).toHaveLength(0);
    // A new request for the same site is possible again.
    const again = await requestFailover(app, REQUESTER, '"still flapping"', clock);
    expect(again).not.toBe(id);
  });

  it('the sweep expires a request nobody clicked (message updated in place)', async () => {
    const clock = movableClock();
    const { account } = countingAccount(clock);
    app = await startApprovalApp({ account, clock });
    const id = await requestFailover(app, REQUESTER, '"flapping"', clock);
    clock.advance(15 * 60_000 + 1);
    expect(await app.ctx.services.approvals.expireDue()).toBe(1);
    expect((await requestState(app, id)).state).toBe('expired');
    expect(hasButtons(messageOf(app, id))).toBe(false);
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.filter((e) => e.requestId === id).map((e) => e.event)).toEqual(['requested', 'expired']);
  });

  it('one open request per site and action: a second one points at the first', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    const second = await command(app, 'failover dc1 "me too"', 'USOMEONEELSE');
    expect(second).toContain(`already an open failover request for dc1: \`${id}\``);
    expect(app.slackStandin!.callsTo('chat.postMessage')).toHaveLength(1);
    // A redeploy is another action: it may be open at the same time.
    const redeploy = await command(app, 'redeploy dc1 secondary', 'USOMEONEELSE');
    expect(redeploy).toMatch(/Asked for approval: `rd-/);
  });

  it('only the requester may cancel, and only while pending', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    expect(await command(app, `cancel ${id}`, APPROVER1)).toMatch(/Only <@UREQUESTER>/);
    expect((await requestState(app, id)).state).toBe('pending');
    expect(await command(app, `cancel ${id}`, REQUESTER)).toMatch(/Cancelled/);
    expect((await requestState(app, id)).state).toBe('cancelled');
    expect(messageOf(app, id).text).toMatch(/Cancelled by <@UREQUESTER>/);
    expect(hasButtons(messageOf(app, id))).toBe(false);
    expect(await command(app, `cancel ${id}`, REQUESTER)).toMatch(/was cancelled/);
    expect(await command(app, 'cancel fo-zzzzzz', REQUESTER)).toMatch(/No request fo-zzzzzz/);
    // A click on the stale buttons of the cancelled request changes nothing.
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'));
    await waitFor('the refusal', () => (ephemeralsTo(app!, APPROVER1).length ? true : undefined));
    expect(ephemeralsTo(app, APPROVER1)[0]).toMatch(/cancelled/);
    expect(replaces).toHaveLength(0);
  });

  it('Deny opens a modal asking why; the submission denies, the requester cannot deny', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);

    await interact(app, buttonPayload(app, id, REQUESTER, 'approval_deny'));
    await waitFor('the refusal', () => (ephemeralsTo(app!, REQUESTER).length ? true : undefined));
    expect(ephemeralsTo(app, REQUESTER)[0]).toMatch(/\/vpn cancel/);
    expect(app.slackStandin!.callsTo('views.open')).toHaveLength(0);

    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_deny'));
    const [open] = await waitFor('views.open', () => {
      const calls = app!.slackStandin!.callsTo('views.open');
      return calls.length ? calls : undefined;
    });
    const view = open!.args.view as Record<string, unknown>;
    expect(view.callback_id).toBe('approval_deny_modal');
    expect(String(open!.args.trigger_id)).toMatch(/^\d+\.\d+\./);

    // An empty reason is answered in the ack with a field error, and changes nothing.
    const empty = await app.slack.interaction(denySubmission(APPROVER1, view, ' '));
    expect(empty.body).toMatchObject({ response_action: 'errors' });
    expect((await requestState(app, id)).state).toBe('pending');

    const ok = await app.slack.interaction(
      denySubmission(APPROVER1, view, 'primary is fine, it was the probe host'),
    );
    expect(ok.status).toBe(200);
    await waitFor('denied', async () =>
      (await requestState(app!, id)).state === 'denied' ? true : undefined,
    );
    await waitFor('the denied message', () =>
      /Denied by/.test(messageOf(app!, id).text) ? true : undefined,
    );
    expect(messageOf(app, id).text).toContain('primary is fine');
    expect(hasButtons(messageOf(app, id))).toBe(false);
    expect(replaces).toHaveLength(0);

    // A second submission (a retried delivery) is refused and changes nothing.
    await app.slack.interaction(denySubmission(APPROVER2, view, 'also no'));
    await waitFor('the refusal', () => (ephemeralsTo(app!, APPROVER2).length ? true : undefined));
    expect(ephemeralsTo(app, APPROVER2)[0]).toMatch(/was denied by <@UAPPROVER1>/);
    expect((await requestState(app, id)).denyReason).toBe('primary is fine, it was the probe host');
  });

  it('failing over onto the tunnel already active is refused at request time', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    expect(await command(app, 'failover dc1 --to primary', REQUESTER)).toMatch(/already active/);
    expect(await command(app, 'failover dc1 --to tertiary', REQUESTER)).toMatch(/not a tunnel of dc1/);
    expect(await command(app, 'failover nowhere', REQUESTER)).toMatch(/Unknown site "nowhere"/);
    expect(app.slackStandin!.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('a forged or replayed Approve click gets 401 and changes nothing', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    const body = new URLSearchParams({
      payload: JSON.stringify(buttonPayload(app, id, APPROVER1, 'approval_approve')),
    }).toString();
    const forger = new SlackCommandClient(app.url, 'not-the-signing-secret');
    expect((await forger.post(body, 'application/x-www-form-urlencoded')).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    expect((await app.slack.post(body, 'application/x-www-form-urlencoded', stale)).status).toBe(401);
    await settle();
    expect((await requestState(app, id)).state).toBe('pending');
    expect(replaces).toHaveLength(0);
    expect(app.slackStandin!.callsTo('chat.postEphemeral')).toHaveLength(0);
  });

  it('a failover asked onto an unhealthy tunnel tells the requester so, not only the channel', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    account.chaos.break('dc1', 'secondary');
    const reply = await command(app, 'failover dc1 "primary flapping"', REQUESTER);
    expect(reply).toMatch(/Asked for approval: `fo-/);
    expect(reply).toMatch(/:warning: Target secondary is not healthy now: /);
    expect(reply).toContain('If secondary is still unhealthy when someone approves, the failover is refused');
    account.chaos.heal('dc1', 'secondary');
  });

  it('a failover asked onto a healthy tunnel carries no warning', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const reply = await command(app, 'failover dc1 "planned"', REQUESTER);
    expect(reply).toMatch(/Asked for approval: `fo-/);
    expect(reply).not.toContain(':warning:');
  });

  it('an approved failover onto an unhealthy tunnel is refused by the executor: nothing moves, the message says why', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app);
    account.chaos.break('dc1', 'secondary');
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'));
    const done = await waitFor('the run', async () => {
      const r = await requestState(app!, id);
      return r.state === 'failed' || r.state === 'succeeded' ? r : undefined;
    });
    expect(done.state).toBe('failed');
    expect(done.result?.summary).toMatch(/Refused, nothing changed: secondary is not healthy/);
    expect(replaces).toHaveLength(0);
    await waitFor('the message', () => (/Failed/.test(messageOf(app!, id).text) ? true : undefined));
    expect(messageOf(app, id).text).toContain('not healthy');
  });
});
