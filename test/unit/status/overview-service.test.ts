import { describe, expect, it } from '@jest/globals';
import type { AlarmRecord } from '../../../src/domain/alarm-record.js';
import { ok } from '../../../src/domain/outcome.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { AlarmService } from '../../../src/services/alarms/alarm-service.js';
import { OverviewService } from '../../../src/services/status/overview-service.js';
import { StatusService } from '../../../src/services/status/status-service.js';
import { demoTopology } from '../../helpers/test-app.js';
import { fakeAccount } from './fake-account.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const clock = { now: () => NOW };
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

describe('OverviewService', () => {
  it('gathers alarms in ALARM (account and received, once each) and the last failover runs, newest first', async () => {
    const fake = fakeAccount();
    fake.account.metrics.alarms = async (sites) =>
      new Map(
        sites[0]!.tunnels.map((t) => [
          `dc1/${t.name}`,
          ok([
            {
              name: `tunnelops-dc1-${t.name}-down`,
              state: t.name === 'primary' ? ('ALARM' as const) : ('OK' as const),
              reason: 'Threshold Crossed',
              since: at(3),
            },
          ]),
        ]),
      );
    fake.account.metrics.probeSeries = async (site) =>
      new Map(site.tunnels.map((t) => [t.name, ok([{ at: NOW - 60_000, lossPct: 0, latencyMs: 20 }])]));
    const store = new SqliteStore({ path: ':memory:', clock });
    const status = new StatusService({
      topology: demoTopology(),
      account: fake.account,
      store,
      clock,
      log: silentLogger(),
    });
    for (const [m, to, requestId] of [
      [30, 'secondary', 'fo-1'],
      [10, 'primary', 'fo-2'],
    ] as const) {
      for (const event of ['routes-changed', 'succeeded'])
        await store.appendAudit({
          at: at(m),
          site: 'dc1',
          action: 'failover',
          requestId,
          actor: 'UAPPROVER1',
          event,
          detail: { to },
        });
    }
    const received = (name: string, state: 'ALARM' | 'OK') =>
      ({ name, state, site: null, reason: 'from SNS', since: at(1) }) as unknown as AlarmRecord;
    const records = new Map([
      ['a', received('tunnelops-dc1-primary-down', 'ALARM')], // also in the account: listed once
      ['b', received('billing-high', 'ALARM')],
      ['c', received('disk-ok', 'OK')],
    ]);
    const overview = new OverviewService({
      status,
      store,
      clock,
      log: silentLogger(),
      pending: async () => [],
      alarms: () => ({ stored: async () => [...records.values()] }) as unknown as AlarmService,
    });

    const o = await overview.overview();

    expect(o.alarms.map((a) => [a.name, a.site, a.tunnel])).toEqual([
      ['billing-high', null, null],
      ['tunnelops-dc1-primary-down', 'dc1', 'primary'],
    ]);
    expect(o.failovers.map((f) => [f.to, f.actor])).toEqual([
      ['primary', 'UAPPROVER1'],
      ['secondary', 'UAPPROVER1'],
    ]);
    expect(o.graphs.dc1?.failovers).toHaveLength(2);
    expect(o.status.sites[0]?.activeTunnel).toBe('primary');
    await store.close();
  });
});
