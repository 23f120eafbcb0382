import { describe, expect, it } from '@jest/globals';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../../src/domain/heartbeat.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';
import { MonitorLoop } from '../../../src/monitor/monitor-loop.js';
import { targetLabel } from '../../../src/monitor/probe.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from './fakes.js';

const CERT = 'certificate expired 2026-12-05 10:00 UTC (dc1-secondary-server)';

/**
 * The failure: the active server stops gracefully; its monitor's goodbye (a "down" heartbeat) lands in the store,
 * and the other side's controller reads it long after (a loaded machine; the backstop's minute), while the
 * stopped server's host still answers its peer. The real monitor loop writes the goodbye, the real controller
 * reads it from SQLite; only the clock is ours.
 */
describe("the active server's goodbye, read late by the other side's controller", () => {
  async function stoppedPrimary(secondaryCertFault?: string, primaryFirstDown = false) {
    const clock = new ManualClock();
    const log = silentLogger();
    const store = new SqliteStore({ path: ':memory:', clock });
    const topology = testTopology({ cooldownSeconds: 0 });
    const site = topology.sites[0]!;
    const account = memoryAccount(topology);
    const chat = new RecordingChat();
    const controller = new FailoverController({ topology, account, store, clock, chat, log });
    const primary = new MonitorLoop({
      site,
      tunnel: 'primary',
      clock,
      log,
      reporter: new HeartbeatReporter({ store, log }),
      prober: async (target) => ({ target: targetLabel(target), ok: !primaryFirstDown, rttMs: 5 }),
    });
    for (let i = 0; i < Math.max(site.failover.rise, site.failover.fall); i++) {
      await primary.tick();
      clock.advance(1000);
    }
    await primary.stop();
    await primary.goodbye('the primary server is stopping (SIGTERM)');
    // The secondary's monitor, writing on: its tunnel up, the stopped primary's host still answering it.
    const observer = () =>
      putHeartbeat(store, {
        ...heartbeat('secondary', 'up', clock.now()),
        peer: { tunnel: 'primary', failCount: 0, okCount: 30, at: new Date(clock.now()).toISOString() },
        ...(secondaryCertFault ? { certFault: secondaryCertFault } : {}),
      });
    await observer();
    return { clock, store, controller, account, chat, observer };
  }

  it('the goodbye is a heartbeat marked as one; an ordinary round is not', async () => {
    const { store } = await stoppedPrimary();
    const beat = (await store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey('dc1', 'primary')))?.value;
    expect(beat).toMatchObject({ health: 'down', goodbye: true });
    expect(
      (await store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey('dc1', 'secondary')))?.value,
    ).not.toHaveProperty('goodbye');
    await store.close();
  });

  it('read 12 s late (past heartbeatStaleSeconds), a healthy standby takes traffic', async () => {
    const { clock, store, controller, account, observer } = await stoppedPrimary();
    clock.advance(12_000);
    await observer();
    const out = await controller.evaluate('dc1', {
      kind: 'peer',
      tunnel: 'primary',
      verdict: 'monitor-silent',
    });
    expect(out.decision).toMatchObject({ action: 'failover', to: 'secondary' });
    expect(out.decision.reason).toContain('its server is stopping: goodbye 12.0 s ago');
    expect(out.result).toMatchObject({ ok: true, to: 'secondary' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('read 12 s late with an unfit standby: an alert naming its reason, and the routes stay', async () => {
    const { clock, store, controller, account, chat, observer } = await stoppedPrimary(CERT);
    clock.advance(12_000);
    await observer();
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.decision).toMatchObject({ action: 'alert', code: 'both-down' });
    expect(chat.posts.map((p) => p.text).join('\n')).toContain(`secondary is unfit: ${CERT}`);
    expect(account.routeTables.replaced).toEqual([]);
    expect(account.routeTables.activeOf('dc1')).toEqual(['primary']);
    await store.close();
  });

  // The failure: a server already reported down (say its certificate expired, both down, alerted) then stops
  // (its task replaced): its goodbye had nothing to change, so none was written, and once that "down" went stale
  // with the host answering it read as a silent monitor, "taken to carry traffic": no failover onto a standby
  // that is fit again.
  it('a server already down says goodbye too; read late, a fit standby takes traffic', async () => {
    const { clock, store, controller, account, observer } = await stoppedPrimary(undefined, true);
    const beat = (await store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey('dc1', 'primary')))?.value;
    expect(beat).toMatchObject({ health: 'down', goodbye: true, fallCount: 5 });
    clock.advance(12_000);
    await observer();
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.decision).toMatchObject({ action: 'failover', to: 'secondary' });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('a newer heartbeat of the restarted monitor replaces the goodbye', async () => {
    const { clock, store, controller, observer } = await stoppedPrimary();
    clock.advance(12_000);
    await putHeartbeat(store, heartbeat('primary', 'up', clock.now()));
    await observer();
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.decision).toMatchObject({ action: 'none', code: 'active-ok' });
    await store.close();
  });
});
