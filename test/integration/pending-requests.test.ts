import { afterEach, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** Open requests are visible (/vpn pending, /vpn status, /api/status) and the controller's can be withdrawn. */
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Sends `/vpn <text>` and returns the text of the reply (ack or response_url). */
async function vpn(a: TestApp, text: string, user = 'UREQUESTER'): Promise<string> {
  const before = a.slack.received.length;
  const ack = await a.slack.command(text, user);
  expect(ack.status).toBe(200);
  if (ack.body?.text) return ack.body.text;
  const replies = await a.slack.waitForReplies(before + 1, 10_000);
  const r = replies[before];
  return [r?.text ?? '', JSON.stringify(r?.blocks ?? [])].join('\n');
}

describe('pending requests', () => {
  it('are listed by /vpn pending, under their site in /vpn status, and in /api/status', async () => {
    app = await startTestApp();
    expect(await vpn(app, 'pending')).toContain('No pending requests.');
    const asked = await vpn(app, 'failover dc1 "patching the primary"');
    const id = /`(fo-[a-z0-9]+)`/.exec(asked)?.[1];
    expect(id).toBeDefined();

    const pending = await vpn(app, 'pending dc1');
    expect(pending).toContain('*Pending requests for dc1* (1)');
    expect(pending).toContain(
      `\`${id}\` fail over *dc1* to *secondary*, asked by <@UREQUESTER> "patching the primary" (pending, approve by <!date^`,
    );

    const status = await vpn(app, 'status dc1');
    expect(status).toContain('Pending requests for dc1');
    expect(status).toContain(id);

    const json = (await (await fetch(`${app.url}/api/status`)).json()) as {
      sites: Array<{
        name: string;
        pending: Array<{ id: string; requester: string; state: string; to: string }>;
      }>;
    };
    expect(json.sites[0]?.pending).toEqual([
      expect.objectContaining({ id, requester: 'UREQUESTER', state: 'pending', to: 'secondary' }),
    ]);

    expect(await vpn(app, 'pending dc9')).toContain('Unknown site "dc9"');
    // Once withdrawn it is no longer pending.
    expect(await vpn(app, `cancel ${id}`)).toContain(`Cancelled \`${id}\``);
    expect(await vpn(app, 'pending')).toContain('No pending requests.');
  });

  it("lets any approver cancel the controller's proposal, and nobody else", async () => {
    app = await startTestApp();
    const approvals = app.ctx.services.approvals;
    const proposed = await approvals.request({
      action: 'failover',
      site: 'dc1',
      requester: 'controller',
      reason: 'primary down for 3 rounds',
    });
    expect(proposed.ok).toBe(true);
    const id = proposed.ok ? proposed.request.id : '';
    expect(await vpn(app, 'pending')).toContain('asked by controller');

    const outsider = await vpn(app, `cancel ${id}`, 'UOUTSIDER');
    expect(outsider).toContain('only an approver of site dc1 may cancel it');
    expect((await approvals.get(id))?.state).toBe('pending');

    expect(await vpn(app, `cancel ${id}`, 'UAPPROVER2')).toContain(`Cancelled \`${id}\``);
    const after = await approvals.get(id);
    expect(after).toMatchObject({ state: 'cancelled', closedBy: 'UAPPROVER2' });
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.find((e) => e.requestId === id && e.event === 'cancelled')?.actor).toBe('UAPPROVER2');
  });
});
