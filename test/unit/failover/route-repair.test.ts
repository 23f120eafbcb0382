import { describe, expect, it } from '@jest/globals';
import { decide } from '../../../src/domain/failover-policy.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from './fakes.js';
import { down, policyInput as input, up } from './policy-inputs.js';

describe('routes that point at no tunnel (blackholed or missing)', () => {
  it('are moved to the tunnel the other routes use when it is fit, even inside the cooldown and hourly cap', () => {
    const d = decide(
      input({ tunnels: [up('primary'), up('secondary')], stranded: { live: 'secondary', count: 1 } }),
    );
    expect(d).toMatchObject({ action: 'failover', code: 'repair-routes', to: 'secondary' });
  });

  it('go to the other tunnel when the live one is down', () => {
    const d = decide(
      input({ tunnels: [down('primary'), up('secondary')], stranded: { live: 'primary', count: 2 } }),
    );
    expect(d).toMatchObject({ action: 'failover', code: 'repair-routes', to: 'secondary' });
  });

  it('go to the primary first when no route is live and both are fit', () => {
    const d = decide(
      input({ tunnels: [up('primary'), up('secondary')], stranded: { live: null, count: 4 } }),
    );
    expect(d).toMatchObject({ action: 'failover', to: 'primary' });
  });

  it('go to a tunnel whose host its peer answers over one whose peer just lost sight of it (the host behind vanished routes going)', () => {
    // The primary's instance was just terminated: its routes vanished with its interface; its heartbeat is
    // still fresh, but the secondary's probes of its host have stopped being answered (fewer than fall yet).
    const d = decide(
      input({
        tunnels: [
          { ...up('primary'), host: 'unknown' },
          { ...up('secondary'), host: 'reachable' },
        ],
        stranded: { live: null, count: 4 },
      }),
    );
    expect(d).toMatchObject({ action: 'failover', code: 'repair-routes', to: 'secondary' });
    // A live route's tunnel still comes first when it is fit: the least change.
    expect(
      decide(
        input({
          tunnels: [
            { ...up('primary'), host: 'unknown' },
            { ...up('secondary'), host: 'reachable' },
          ],
          stranded: { live: 'primary', count: 1 },
        }),
      ),
    ).toMatchObject({ to: 'primary' });
  });

  it('stay put with a loud alert when no tunnel is fit', () => {
    const d = decide(
      input({ tunnels: [down('primary'), down('secondary')], stranded: { live: null, count: 4 } }),
    );
    expect(d).toMatchObject({ action: 'alert', code: 'both-down' });
    expect(d.to).toBeUndefined();
  });

  // Changed deliberately: routes that carry nothing are an outage already, so repairing them is no risk
  // decision; propose repairs at once like auto (it used to ask for an approval and wait). Manual still alerts.
  it('are repaired at once in propose mode as in auto; manual only alerts', () => {
    const tunnels = [up('primary'), up('secondary')] as const;
    expect(decide(input({ tunnels, stranded: { live: 'primary', count: 1 } }, 'propose'))).toMatchObject({
      action: 'failover',
      code: 'repair-routes',
      to: 'primary',
    });
    expect(decide(input({ tunnels, stranded: { live: 'primary', count: 1 } }, 'manual'))).toMatchObject({
      action: 'alert',
      code: 'manual',
    });
  });

  it('routes split between two live tunnels with no interrupted run behind them are still left to a human', () => {
    const d = decide(
      input({ tunnels: [up('primary'), up('secondary')], routesProblem: 'rtb-1 10.20.0.0/16 -> secondary' }),
    );
    expect(d).toMatchObject({ action: 'alert', code: 'routes-disagree' });
  });

  it('the controller repairs only the dead routes, through the executor', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const topology = testTopology({ mode: 'auto' });
    const account = memoryAccount(topology);
    // The primary's instance was replaced: one route lost its target (EC2 shows it as blackhole, we as no tunnel).
    const [deadKey] = [...account.routeTables.routes.keys()];
    account.routeTables.routes.delete(deadKey!);
    for (const t of ['primary', 'secondary'])
      await putHeartbeat(store, heartbeat(t, 'up', clock.now() - 1000), 600_000);
    const { log } = captureLog();
    const controller = new FailoverController({
      topology,
      account,
      store,
      clock,
      chat: new RecordingChat(),
      log,
    });
    const out = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(out.decision).toMatchObject({ action: 'failover', code: 'repair-routes', to: 'primary' });
    // The route is missing, not blackholed: it is created (CreateRoute), nothing else is touched.
    expect(account.routeTables.replaced).toHaveLength(0);
    expect(account.routeTables.created).toEqual([expect.objectContaining({ tunnel: 'primary' })]);
    expect(account.routeTables.activeOf('dc1')).toEqual(['primary']);
    await store.close();
  });
});
