import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { FailoverMode, Topology } from '../../../src/config/topology-schema.js';
import { silentAfterMs } from '../../../src/domain/peer-view.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import type { FailoverProposer } from '../../../src/services/failover/report-outbox.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { siteInput } from '../../helpers/fakes/site.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from './fakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The monitor's last word on a tunnel, `ageMs` old. */
const beat = (store: Store, clock: ManualClock, tunnel: string, health: 'up' | 'down', ageMs = 1000) =>
  putHeartbeat(store, heartbeat(tunnel, health, clock.now() - ageMs), 600_000);

/** The outage most tests act on: the active tunnel's monitor reports down, the standby's up. */
async function outage(store: Store, clock: ManualClock): Promise<void> {
  await beat(store, clock, 'primary', 'down');
  await beat(store, clock, 'secondary', 'up');
}

const PRIMARY_DOWN = { kind: 'health-changed', tunnel: 'primary', health: 'down' } as const;

function build(
  topology: Topology,
  store: Store,
  clock: ManualClock,
  account = memoryAccount(topology),
  extra: { approvals?: FailoverProposer } = {},
) {
  const chat = new RecordingChat();
  const { log, lines } = captureLog();
  const controller = new FailoverController({ topology, account, store, clock, chat, log, ...extra });
  return { controller, chat, account, lines };
}

/** One controller on its own in-memory store and a fresh clock. */
function single(mode: FailoverMode, extra: { approvals?: FailoverProposer } = {}) {
  const clock = new ManualClock();
  const store = new SqliteStore({ path: ':memory:', clock });
  const t = testTopology({ mode });
  return { clock, store, ...build(t, store, clock, memoryAccount(t), extra) };
}

describe('FailoverController', () => {
  // Issue 23: the reconcile tick of a controller with many sites (the bot) spends one route read, not one per
  // site, from EC2's Describe bucket; each site is still decided on its own routes.
  it('reconciles every site from one batched route read, and still fails over the one that is down', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const names = ['dc1', 'dc2', 'dc3'];
    const topology = parseTopology(
      JSON.stringify({
        sites: names.map((name, i) =>
          siteInput({
            name,
            onPremCidrs: [`10.${20 + i}.0.0/16`],
            routeTableIds: [`rtb-0${i}a1b2c3d4e5f6071`],
            failover: { mode: 'auto', cooldownSeconds: 0 },
          }),
        ),
      }),
    );
    const { controller, account } = build(topology, store, clock);
    const observed: string[][] = [];
    const observe = account.routeTables.observe.bind(account.routeTables);
    account.routeTables.observe = (sites) => {
      observed.push(sites.map((s) => s.name));
      return observe(sites);
    };
    for (const site of names)
      for (const [tunnel, health] of [
        ['primary', site === 'dc2' ? 'down' : 'up'],
        ['secondary', 'up'],
      ] as const)
        await putHeartbeat(store, heartbeat(tunnel, health, clock.now() - 1000, site), 600_000);

    const { outcomes, deferred } = await controller.reconcileAll();

    expect(outcomes.map((o) => [o.site, o.decision.code])).toEqual([
      ['dc1', 'active-ok'],
      ['dc2', 'failover'],
      ['dc3', 'active-ok'],
    ]);
    expect(outcomes[1]?.result).toMatchObject({ ok: true, to: 'secondary' });
    expect(deferred).toEqual([]);
    // One read for the three decisions; the failover of dc2 then read its own routes under its lease (and to verify).
    expect(observed[0]).toEqual(names);
    expect(observed.slice(1)).toEqual([['dc2'], ['dc2']]);
    await store.close();
  });

  // Issue 23: the run a decision starts moves the routes from the decision's own read (the site's route epoch
  // unchanged under the lease), not from a second read queued in EC2's Describe bucket behind every other site's.
  it('an evaluation that fails over reads the routes twice (to decide, to verify), not three times', async () => {
    const { controller, account, store, clock } = single('auto');
    let reads = 0;
    const observe = account.routeTables.observe.bind(account.routeTables);
    account.routeTables.observe = (sites) => {
      reads++;
      return observe(sites);
    };
    await outage(store, clock);
    const outcome = await controller.evaluate('dc1', PRIMARY_DOWN);
    expect(outcome.result).toMatchObject({ ok: true, to: 'secondary' });
    expect(reads).toBe(2);
    await store.close();
  });

  // Issue 23, failure: in an AZ outage the route read waits seconds in the account's Describe bucket. The live
  // standby's monitor keeps writing heartbeats (with its view of the dead host) meanwhile; the decision must
  // judge the freshest of them, not one read before the wait and aged after it (which made the observer look
  // silent, the dead host "unknown", and the site wait for the fast path's backed-off retry).
  it('judges the peer view by heartbeats read after a slow route read, and fails over onto the dead host', async () => {
    const { clock, store, controller, account } = single('auto');
    const silent = silentAfterMs(testTopology().sites[0]!.failover);
    await beat(store, clock, 'primary', 'up', silent + 100); // its monitor went with its host
    const observer = () =>
      putHeartbeat(
        store,
        {
          ...heartbeat('secondary', 'up', clock.now()),
          peer: { tunnel: 'primary', failCount: 3, okCount: 0, at: new Date(clock.now()).toISOString() },
        },
        600_000,
      );
    await observer();
    const observe = account.routeTables.observe.bind(account.routeTables);
    account.routeTables.observe = async (sites) => {
      await new Promise((r) => setImmediate(r)); // the call is out; the store reads beside it go on
      clock.advance(2 * silent);
      await observer();
      return observe(sites);
    };
    const out = await controller.evaluate('dc1', { kind: 'peer', tunnel: 'primary', verdict: 'host-dead' });
    expect(out.decision).toMatchObject({ action: 'failover', to: 'secondary' });
    expect(out.decision.reason).toContain('the primary host does not answer its peer');
    expect(out.result).toMatchObject({ ok: true, to: 'secondary' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('logs "did nothing, because ..." with its evidence when the active tunnel is fine', async () => {
    const { clock, store, controller, lines, chat, account } = single('auto');
    await beat(store, clock, 'primary', 'up');
    await beat(store, clock, 'secondary', 'down');
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.decision).toMatchObject({ action: 'none', code: 'active-ok' });
    const line = lines.find((l) => l.code === 'active-ok');
    expect(line?.msg).toMatch(/^controller decided none: did nothing: active tunnel primary is not down/);
    expect(line?.evidence).toMatchObject({
      active: 'primary',
      tunnels: [
        { name: 'primary', health: 'up' },
        { name: 'secondary', health: 'down' },
      ],
    });
    expect(chat.posts).toEqual([]);
    expect(account.routeTables.replaced).toEqual([]);
    await store.close();
  });

  it('does not treat a planned deploy of the active tunnel as a failure', async () => {
    const { clock, store, controller, account } = single('auto');
    await beat(store, clock, 'primary', 'up', 60_000); // its monitor went away with the old task
    await beat(store, clock, 'secondary', 'up');
    account.tasks.states.set('dc1/primary', { desired: 1, running: 0, pending: 1, deploying: true });
    const during = await controller.evaluate('dc1', {
      kind: 'task-state',
      tunnel: 'primary',
      lastStatus: 'STOPPED',
    });
    expect(during.decision.code).toBe('planned-deploy');
    expect(account.routeTables.replaced).toEqual([]);
    // The deployment finished with no task running: now it is an outage.
    account.tasks.states.set('dc1/primary', { desired: 1, running: 0, pending: 0, deploying: false });
    const after = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(after.result).toMatchObject({ ok: true, to: 'secondary' });
    await store.close();
  });

  it('both tunnels down: changes nothing and alerts loudly, once', async () => {
    const { clock, store, controller, chat, account } = single('auto');
    await beat(store, clock, 'primary', 'down');
    await beat(store, clock, 'secondary', 'down');
    for (let i = 0; i < 3; i++) {
      const out = await controller.evaluate('dc1', { kind: 'reconcile' });
      expect(out.decision).toMatchObject({ action: 'alert', code: 'both-down' });
    }
    expect(account.routeTables.replaced).toEqual([]);
    expect(chat.posts).toHaveLength(1);
    expect(chat.posts[0]).toMatchObject({
      channel: 'C0SANDBOX1',
      text: expect.stringMatching(/<!here>.*BOTH tunnels of dc1 are down/),
    });
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual(['both-down-alert']);
    await store.close();
  });

  it('propose mode asks for approval with the evidence (once) and changes nothing', async () => {
    const calls: unknown[] = [];
    const approvals: FailoverProposer = {
      request: async (input) => {
        calls.push(input);
        return { ok: true, created: calls.length === 1, request: { id: 'failover-abc123' } };
      },
    };
    const { clock, store, controller, account } = single('propose', { approvals });
    await outage(store, clock);
    const out = await controller.evaluate('dc1', PRIMARY_DOWN);
    await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.proposal).toEqual({ requestId: 'failover-abc123', created: true });
    expect(calls).toEqual([
      {
        action: 'failover',
        site: 'dc1',
        requester: 'controller',
        to: 'secondary',
        reason: expect.stringMatching(/^automatic: the monitor reports primary down/),
        evidence: expect.arrayContaining([expect.stringMatching(/^standby: secondary is up/)]),
      },
    ]);
    expect(account.routeTables.replaced).toEqual([]);
    await store.close();
  });

  it('propose mode: when the approval service refuses, the channel hears why', async () => {
    const approvals: FailoverProposer = {
      request: async () => ({ ok: false, reason: 'secondary is not healthy: probes 40% loss' }),
    };
    const { clock, store, controller, chat } = single('propose', { approvals });
    await outage(store, clock);
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.proposal).toEqual({ created: false, reason: 'secondary is not healthy: probes 40% loss' });
    expect(chat.posts.map((p) => p.text)).toEqual([
      expect.stringMatching(/Could not ask for approval: secondary is not healthy/),
    ]);
    await store.close();
  });

  it('manual mode only alerts, naming the command', async () => {
    const { clock, store, controller, chat, account } = single('manual');
    await outage(store, clock);
    await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(account.routeTables.replaced).toEqual([]);
    expect(chat.posts.map((p) => p.text)).toEqual([
      expect.stringMatching(/\/vpn failover dc1 --to secondary/),
    ]);
    await store.close();
  });

  it('auto mode: fails over, posts the result, and the cooldown stops a second automatic move', async () => {
    const { clock, store, controller, chat, account } = single('auto');
    await outage(store, clock);
    const out = await controller.evaluate('dc1', PRIMARY_DOWN);
    expect(out.result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 4 });
    expect(chat.posts[0]?.text).toMatch(/Automatic failover of \*dc1\*: primary -> \*secondary\*/);
    // Now the secondary dies while the primary is back: inside the cooldown, a human decides.
    clock.advance(30_000);
    await beat(store, clock, 'primary', 'up');
    await beat(store, clock, 'secondary', 'down');
    const again = await controller.evaluate('dc1', {
      kind: 'health-changed',
      tunnel: 'secondary',
      health: 'down',
    });
    expect(again.decision).toMatchObject({ action: 'alert', code: 'cooldown' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  // Issue 22 item 9, failure: a site with many routes. Each run writes one audit entry per route, so with the
  // guards read from the last 500 audit entries, earlier runs fell out of the window and the cap never held.
  it('the hourly cap counts failover runs, however many routes each moved', async () => {
    const { clock, store, controller, account } = single('auto');
    const flip = async (down: 'primary' | 'secondary') => {
      const up = down === 'primary' ? 'secondary' : 'primary';
      await beat(store, clock, down, 'down');
      await beat(store, clock, up, 'up');
      const out = await controller.evaluate('dc1', { kind: 'health-changed', tunnel: down, health: 'down' });
      // What a site with 200 routes writes per run: one routes-changed entry per route.
      for (let i = 0; i < 200; i++)
        await store.appendAudit({
          at: new Date(clock.now()).toISOString(),
          site: 'dc1',
          action: 'failover',
          actor: 'controller',
          event: 'routes-changed',
        });
      clock.advance(301_000); // past the cooldown
      return out;
    };
    expect((await flip('primary')).result).toMatchObject({ ok: true, to: 'secondary' });
    expect((await flip('secondary')).result).toMatchObject({ ok: true, to: 'primary' });
    expect((await flip('primary')).result).toMatchObject({ ok: true, to: 'secondary' });
    const fourth = await flip('secondary');
    expect(fourth.decision).toMatchObject({ action: 'alert', code: 'hourly-cap' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  // Issue 22 item 9, failure: the store gives up the run's "succeeded" audit write. The run still counts.
  it('a failover whose audit write was given up still starts the cooldown', async () => {
    const clock = new ManualClock();
    const inner = new SqliteStore({ path: ':memory:', clock });
    const lossy = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'appendAudit')
          return async (entry: Parameters<Store['appendAudit']>[0]) => {
            if (entry.event === 'succeeded') throw new Error('audit write given up after retries');
            return target.appendAudit(entry);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    const t = testTopology({ mode: 'auto' });
    const { controller, account } = build(t, lossy, clock, memoryAccount(t));
    await outage(inner, clock);
    expect((await controller.evaluate('dc1', PRIMARY_DOWN)).result).toMatchObject({ ok: true });
    expect((await inner.listAudit({ site: 'dc1' })).some((e) => e.event === 'succeeded')).toBe(false);
    clock.advance(30_000);
    await beat(inner, clock, 'primary', 'up');
    await beat(inner, clock, 'secondary', 'down');
    const again = await controller.evaluate('dc1', {
      kind: 'health-changed',
      tunnel: 'secondary',
      health: 'down',
    });
    expect(again.decision).toMatchObject({ action: 'alert', code: 'cooldown' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await inner.close();
  });

  it('two controllers on one SQLite file racing on the same outage change the routes once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-race-'));
    dirs.push(dir);
    const clock = new ManualClock();
    const t = testTopology({ mode: 'auto' });
    const path = join(dir, 'state.sqlite');
    const storeA = new SqliteStore({ path, clock });
    const storeB = new SqliteStore({ path, clock });
    // One account (the route tables are AWS's), each ReplaceRoute slow enough for the runs to overlap.
    const account = memoryAccount(t, { delayMs: 5 });
    await outage(storeA, clock);
    const a = build(t, storeA, clock, account);
    const b = build(t, storeB, clock, account);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        a.controller.evaluate('dc1', PRIMARY_DOWN),
        b.controller.evaluate('dc1', PRIMARY_DOWN),
      ]);
      expect(results.filter((r) => r.result?.ok)).toHaveLength(round === 0 ? 1 : 0);
    }
    expect(account.routeTables.replaced).toHaveLength(4);
    expect(new Set(account.routeTables.replaced.map((r) => r.tunnel))).toEqual(new Set(['secondary']));
    const audit = await storeB.listAudit({ site: 'dc1' });
    expect(audit.filter((e) => e.event === 'succeeded')).toHaveLength(1);
    expect(audit.filter((e) => e.event === 'routes-changed')).toHaveLength(4);
    expect([...a.chat.posts, ...b.chat.posts].filter((p) => /Automatic failover/.test(p.text))).toHaveLength(
      1,
    );
    await storeA.close();
    await storeB.close();
  });
});
