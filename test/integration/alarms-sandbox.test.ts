import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** Alarms as the sandbox shows them: metric-math triggers, re-posts, its own simulated alarm, and bad sites. */
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const fixture = (name: string) => readFileSync(`test/fixtures/cloudwatch/${name}`, 'utf8');
const postAlarm = (a: TestApp, body: string) => fetch(`${a.url}/api/sandbox/alarm`, { method: 'POST', body });

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Block = { type: string; elements?: Array<{ action_id?: string }> };
const buttons = (blocks: unknown) =>
  ((blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);

describe('alarms in the sandbox', () => {
  it('maps a metric-math alarm by the Site/Tunnel dimensions of its MetricStat, with Fail over and the expression', async () => {
    app = await startTestApp();
    const res = await postAlarm(app, fixture('alarm-sns-message-metric-math.json'));
    expect(res.status).toBe(202);
    const standin = app.slackStandin!;
    const posted = await waitFor('the alarm message', () =>
      standin.callsTo('chat.postMessage').find((c) => String(c.args.text).includes('probe-loss-smoothed')),
    );
    const json = JSON.stringify(posted.args.blocks);
    expect(json).toContain('site *dc1* · tunnel *secondary*');
    expect(json).not.toContain('not mapped');
    expect(json).toContain('TunnelOps/ProbeLossPct (Site=dc1, Tunnel=secondary)');
    expect(json).toContain('*Expression*\\nExpression1: e1 = m1*1');
    expect(buttons(posted.args.blocks).map((b) => b.action_id)).toContain('alarm_failover');
  });

  it('answers a re-post of a state already shown with 200 "duplicate", and posts nothing new', async () => {
    app = await startTestApp();
    const body = fixture('alarm-sns-message-metric-math.json');
    expect((await postAlarm(app, body)).status).toBe(202);
    const standin = app.slackStandin!;
    await waitFor('the alarm message', () => standin.callsTo('chat.postMessage')[0]);
    const calls = standin.calls.length;
    const again = await postAlarm(app, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      status: 'duplicate',
      message: expect.stringContaining('already shown'),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(standin.calls.length).toBe(calls);
    // A real change of the same alarm is still accepted.
    const ok = JSON.parse(body) as Record<string, unknown>;
    Object.assign(ok, {
      NewStateValue: 'OK',
      OldStateValue: 'ALARM',
      StateChangeTime: '2015-06-03T17:50:00.000+0000',
    });
    expect((await postAlarm(app, JSON.stringify(ok))).status).toBe(202);
  });

  it("posts the sandbox's own alarm to the channel when a broken tunnel goes to ALARM", async () => {
    const clock = new ManualClock(Date.now());
    app = await startTestApp({ clock });
    const chaos = await fetch(`${app.url}/api/sandbox/chaos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'dc1', tunnel: 'secondary', action: 'break' }),
    });
    expect(chaos.status).toBe(200);
    clock.advance(11_000); // the simulated alarm fires after 10 s down
    const standin = app.slackStandin!;
    const posted = await waitFor('tunnelops-dc1-secondary-down in the channel', () =>
      standin
        .callsTo('chat.postMessage')
        .find((c) => String(c.args.text) === 'ALARM: tunnelops-dc1-secondary-down'),
    );
    expect(posted.args.channel).toBe('C0SANDBOX1');
    expect(JSON.stringify(posted.args.blocks)).toContain('site *dc1* · tunnel *secondary*');
  }, 20_000);

  it('GET /api/audit?site=dc9 answers 404 naming the sites, like /api/status', async () => {
    app = await startTestApp();
    for (const path of ['/api/audit?site=dc9', '/api/status?site=dc9']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBe(404);
      expect(JSON.stringify(await res.json())).toContain('unknown site \\"dc9\\" (sites: dc1)');
    }
    expect((await fetch(`${app.url}/api/audit?site=dc1`)).status).toBe(200);
  });
});
