import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import { createControllerHandler } from '../../../src/lambda/controller-handler.js';
import { loadControllerConfig } from '../../../src/lambda/failover-controller.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { siteInput } from '../../helpers/fakes/site.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat } from '../failover/fakes.js';

const event = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8')) as Record<string, any>;

/** Two sites in one topology file, as infra deploys them: one controller Lambda per site. */
const twoSites = JSON.stringify({
  sites: [
    siteInput({ failover: { mode: 'auto', fall: 3, rise: 5, heartbeatStaleSeconds: 10 } }),
    siteInput({
      name: 'dc2',
      onPremCidrs: ['10.30.0.0/16'],
      routeTableIds: ['rtb-0c0c0c0c0c0c0c0c0'],
      probeTargets: [{ kind: 'icmp', host: '10.30.0.10' }],
      failover: { mode: 'auto', fall: 3, rise: 5, heartbeatStaleSeconds: 10 },
      tunnels: [
        {
          name: 'primary',
          ecs: { cluster: 'tunnelops-dc2', service: 'dc2-primary' },
          instance: { instanceId: 'i-0cccccccccccccccc' },
        },
        {
          name: 'secondary',
          ecs: { cluster: 'tunnelops-dc2', service: 'dc2-secondary' },
          instance: { instanceId: 'i-0dddddddddddddddd' },
        },
      ],
    }),
  ],
});

const baseEnv = {
  TUNNELOPS_TOPOLOGY_JSON: twoSites,
  TUNNELOPS_STORE: 'dynamodb:tunnelops-state',
  AWS_REGION: 'us-east-1',
};

describe('a site controller sees its own site only (TUNNELOPS_SITE)', () => {
  it('narrows the topology to TUNNELOPS_SITE; without it every site stays (local runs)', () => {
    expect(
      loadControllerConfig({ ...baseEnv, TUNNELOPS_SITE: 'dc2' }).topology.sites.map((s) => s.name),
    ).toEqual(['dc2']);
    expect(loadControllerConfig(baseEnv).topology.sites.map((s) => s.name)).toEqual(['dc1', 'dc2']);
    expect(() => loadControllerConfig({ ...baseEnv, TUNNELOPS_SITE: 'dc9' })).toThrow(
      /TUNNELOPS_SITE=dc9 is not a site of the topology \(dc1, dc2\)/,
    );
  });

  it("reconciles only its site and ignores the other site's events: the other site's routes never move", async () => {
    const { topology } = loadControllerConfig({ ...baseEnv, TUNNELOPS_SITE: 'dc1' });
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    // The account holds both sites' routes, as the real account does; both sites' primaries report down.
    const account = memoryAccount(parseTopology(twoSites));
    for (const site of ['dc1', 'dc2']) {
      await putHeartbeat(store, heartbeat('primary', 'down', clock.now() - 1000, site));
      await putHeartbeat(store, heartbeat('secondary', 'up', clock.now() - 1000, site));
    }
    const evaluated: string[] = [];
    const controller = new FailoverController({
      topology,
      account,
      store,
      clock,
      chat: new RecordingChat(),
      log: silentLogger(),
    });
    const spy = {
      evaluate: (site: string, trigger: Parameters<FailoverController['evaluate']>[1]) => {
        evaluated.push(site);
        return controller.evaluate(site, trigger);
      },
      reconcileAll: async () => {
        const out = await controller.reconcileAll();
        evaluated.push(...out.outcomes.map((o) => o.site));
        return out;
      },
      settle: (ms: number) => controller.settle(ms),
    };
    const { log } = captureLog();
    const handle = createControllerHandler({ topology, controller: spy, log });

    const dc2Health = event('tunnel-health-changed');
    dc2Health.detail.site = 'dc2';
    const dc2Task = event('ecs-task-state-change-stopped');
    dc2Task.detail.clusterArn = 'arn:aws:ecs:us-east-1:111122223333:cluster/tunnelops-dc2';
    dc2Task.detail.group = 'service:dc2-primary';
    expect(await handle(dc2Health)).toMatchObject({ status: 'ignored' });
    expect(await handle(dc2Task)).toMatchObject({ status: 'ignored' });
    expect(evaluated).toEqual([]);

    const tick = await handle(event('backstop-tick'));
    expect(tick).toMatchObject({ status: 'evaluated', decisions: [{ site: 'dc1', action: 'failover' }] });
    expect(evaluated).toEqual(['dc1']);
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(account.routeTables.activeOf('dc2')).toEqual(['primary']);
    expect(account.routeTables.replaced.every((r) => r.routeTableId !== 'rtb-0c0c0c0c0c0c0c0c0')).toBe(true);
    await store.close();
  });
});
