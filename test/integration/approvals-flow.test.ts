import { afterEach, describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  buttonPayload,
  CHANNEL,
  command,
  countingAccount,
  hasButtons,
  interact,
  messageOf,
  REQUESTER,
  requestFailover,
  startApprovalApp,
  waitFor,
  waitForState,
} from './approvals-support.js';

describe('approval workflow in the sandbox (real HTTP server, signed requests)', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('UREQUESTER asks, UAPPROVER1 approves, the routes move and /vpn status shows secondary active', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account });

    const before = await command(app, 'status dc1', REQUESTER);
    expect(before).toMatch(/primary/);

    const id = await requestFailover(app);
    expect(id).toMatch(/^fo-[a-z2-9]{6}$/);
    const posted = messageOf(app, id);
    expect(posted.channel).toBe(CHANNEL);
    expect(posted.text).toContain(`<@${REQUESTER}>`);
    expect(posted.text).toContain('secondary');
    expect(JSON.stringify(posted.blocks)).toContain('primary flapping');
    expect(JSON.stringify(posted.blocks)).toContain(`/vpn cancel ${id}`);
    expect(hasButtons(posted)).toBe(true);

    expect(await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'))).toBe(200);
    const done = await waitForState(app, id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.approver).toBe(APPROVER1);
    expect(replaces).toHaveLength(4); // 2 route tables x 2 on-prem CIDRs
    expect(replaces.every((r) => r.tunnel === 'secondary')).toBe(true);

    await waitFor('the final message', () => (/Done in/.test(messageOf(app!, id).text) ? true : undefined));
    const final = messageOf(app, id);
    expect(hasButtons(final)).toBe(false);
    expect(final.text).toMatch(/Done in \d+(\.\d)? m?s/);
    expect(final.text).toContain(`<@${APPROVER1}>`);
    // Progress went into the same message through chat.update, not new posts.
    const updates = app.slackStandin?.callsTo('chat.update').filter((c) => c.args.ts === final.ts) ?? [];
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(
      app.slackStandin?.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes(id)),
    ).toHaveLength(1);

    const after = await command(app, 'status dc1', REQUESTER);
    expect(after).toMatch(/secondary/);
    const status = (await (await fetch(`${app.url}/api/status?site=dc1`)).json()) as {
      sites: Array<{ activeTunnel: string }>;
    };
    expect(status.sites[0]?.activeTunnel).toBe('secondary');
  });

  it('asking for a failover reads the route tables once: routes and target health come from one status report', async () => {
    const { account, observes } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const before = observes.count;
    const id = await requestFailover(app);
    expect(observes.count - before).toBe(1);
    expect(JSON.stringify(messageOf(app, id).blocks)).toMatch(/Routes: 4\/4 on primary/);
    expect(JSON.stringify(messageOf(app, id).blocks)).toMatch(/Target secondary: healthy/);
  });

  it('GET /api/audit: oldest first, one routes-changed entry per route changed, bearer token required', async () => {
    const { account, replaces } = countingAccount(systemClock);
    app = await startApprovalApp({ account, env: { TUNNELOPS_API_TOKEN: 'audit-token' } });
    const id = await requestFailover(app);
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_approve'));
    await waitForState(app, id, ['succeeded', 'failed']);

    expect((await fetch(`${app.url}/api/audit`)).status).toBe(401);
    const res = await fetch(`${app.url}/api/audit?site=dc1`, {
      headers: { authorization: 'Bearer audit-token' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<Record<string, unknown>> };
    const mine = body.entries.filter((e) => e.requestId === id);
    for (const e of mine) {
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining(['at', 'site', 'action', 'requestId', 'actor', 'event']),
      );
      expect(e.site).toBe('dc1');
      expect(e.action).toBe('failover');
      expect(new Date(String(e.at)).toISOString()).toBe(e.at);
    }
    const times = mine.map((e) => Date.parse(String(e.at)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const events = mine.map((e) => e.event);
    expect(events[0]).toBe('requested');
    expect(events.indexOf('approved')).toBeLessThan(events.indexOf('routes-changed'));
    expect(events.at(-1)).toBe('succeeded');
    const changed = mine.filter((e) => e.event === 'routes-changed');
    expect(changed).toHaveLength(replaces.length);
    expect(mine.find((e) => e.event === 'requested')?.actor).toBe(REQUESTER);
    expect(mine.find((e) => e.event === 'approved')?.actor).toBe(APPROVER1);

    const other = await fetch(`${app.url}/api/audit?site=nowhere`, {
      headers: { authorization: 'Bearer audit-token' },
    });
    expect(other.status).toBe(404); // like /api/status: an unknown site is not an empty one
    expect(((await other.json()) as { message: string }).message).toContain('unknown site "nowhere"');
    const bad = await fetch(`${app.url}/api/audit?site=../x`, {
      headers: { authorization: 'Bearer audit-token' },
    });
    expect(bad.status).toBe(400);

    const history = await command(app, 'history dc1', REQUESTER);
    expect(history).toContain(id);
    expect(history).toContain('routes-changed');
  });

  it('redeploy of the active tunnel is refused without --force; the standby redeploys after approval', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const refused = await command(app, 'redeploy dc1 primary', REQUESTER);
    expect(refused).toMatch(/fail over first/);
    expect(app.slackStandin?.callsTo('chat.postMessage')).toHaveLength(0);

    const reply = await command(app, 'redeploy dc1 secondary "new image"', REQUESTER);
    const id = /`(rd-[a-z0-9]{6})`/.exec(reply)?.[1];
    expect(id).toBeDefined();
    await interact(app, buttonPayload(app, id!, APPROVER1, 'approval_approve'));
    const done = await waitForState(app, id!, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    const final = await waitFor('the final message', () =>
      /Done in/.test(messageOf(app!, id!).text) ? true : undefined,
    );
    expect(final).toBe(true);
    expect(JSON.stringify(messageOf(app, id!).blocks)).toContain('deployment');
    // The rollout's progress is also in the request message's thread.
    const thread = [...app.slackStandin!.messages.values()].filter(
      (m) => m.threadTs === messageOf(app!, id!).ts,
    );
    expect(thread.map((m) => m.text).join('\n')).toMatch(/deployment .* started/);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/done in/);
  });
});
