import { afterEach, describe, expect, it } from '@jest/globals';
import type { FailoverMode } from '../../src/config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat } from '../../src/domain/heartbeat.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The controller feature in the running sandbox: simulated monitors (the real loop, tracker and
 * reporters) probe every 50 ms here; `POST /api/sandbox/chaos` breaks the active tunnel.
 */
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const fastTopology = (mode: FailoverMode) => {
  const t = demoTopology();
  for (const s of t.sites) Object.assign(s.failover, { mode, probeIntervalSeconds: 0.05 });
  return t;
};

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function chaos(a: TestApp, tunnel: string, action: 'break' | 'heal') {
  const res = await fetch(`${a.url}/api/sandbox/chaos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'dc1', tunnel, action }),
  });
  expect(res.status).toBe(200);
}

const bothUp = (a: TestApp) =>
  waitFor('both monitors up', async () => {
    const beats = await Promise.all(
      ['primary', 'secondary'].map((t) => a.ctx.store.get<Heartbeat>(HEARTBEAT_NS, `dc1/${t}`)),
    );
    return beats.every((b) => b?.value.health === 'up');
  });

async function activeTunnels(a: TestApp): Promise<string[]> {
  const obs = (await a.ctx.account.routeTables.observe(a.ctx.topology.sites)).get('dc1');
  return obs?.ok ? [...new Set(obs.value.map((r) => r.tunnel ?? 'none'))] : [];
}

describe('controller in the sandbox', () => {
  it('mode propose: breaking the active tunnel posts an approval request from the controller and moves nothing', async () => {
    app = await startTestApp({ topology: fastTopology('propose') });
    await bothUp(app);
    await chaos(app, 'primary', 'break');
    const standin = app.slackStandin!;
    const post = await waitFor('the proposal in Slack', () =>
      standin.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args).includes('controller')),
    );
    expect(post.args.channel).toBe('C0SANDBOX1');
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.find((e) => e.event === 'requested')).toMatchObject({
      action: 'failover',
      actor: 'controller',
    });
    expect(await activeTunnels(app)).toEqual(['primary']);
  });

  it('mode auto: breaking the active tunnel moves every route to the other one, says so, and never fails back', async () => {
    app = await startTestApp({ topology: fastTopology('auto') });
    await bothUp(app);
    await chaos(app, 'primary', 'break');
    const a = app;
    await waitFor('routes on secondary', async () => (await activeTunnels(a)).join() === 'secondary');
    const standin = app.slackStandin!;
    await waitFor('the failover notice', () =>
      standin
        .callsTo('chat.postMessage')
        .find((c) => String(c.args.text).includes('Automatic failover of *dc1*')),
    );
    await chaos(app, 'primary', 'heal');
    await waitFor(
      'primary up again',
      async () => (await a.ctx.store.get<Heartbeat>(HEARTBEAT_NS, 'dc1/primary'))?.value.health === 'up',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await activeTunnels(app)).toEqual(['secondary']);
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(
      audit.filter((e) => e.action === 'failover' && e.event === 'succeeded').map((e) => e.actor),
    ).toEqual(['controller']);
  });
});
