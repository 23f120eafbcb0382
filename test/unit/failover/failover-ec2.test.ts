import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { RequestBudget } from '../../../src/aws/ec2-request-budget.js';
import { Ec2RouteTables } from '../../../src/aws/ec2-route-tables.js';
import { TunnelInstanceResolver } from '../../../src/aws/tunnel-instance-resolver.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/ports/clock.js';
import type { Store } from '../../../src/ports/store.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import {
  demoSites,
  ec2Error,
  type FormBody,
  fakeClients,
  fixture,
  instancesXml,
  prefixListsXml,
  routeTablesXml,
} from '../aws/aws-http.js';

const PRIMARY_ENI = 'eni-0aaaaaaaaaaaaaaa1';
const SECONDARY_ENI = 'eni-0bbbbbbbbbbbbbbb2';
const dc1 = demoSites()[0]!;

/**
 * EC2 on its wire format (form-encoded query, XML replies) with state: DescribeRouteTables renders the current
 * routes, ReplaceRoute moves one (or answers an EC2 error on chosen calls). Counts every ReplaceRoute.
 */
function fakeEc2(
  failReplaceOn: number[] = [],
  replyDelayMs = 0,
  code = 'UnauthorizedOperation',
  prefixList?: { id: string; name: string },
) {
  // Route destinations: the site's CIDRs, or (prefix-list) the list's id.
  const destinations = prefixList ? [prefixList.id] : dc1.onPremCidrs;
  const routes = new Map<string, string>();
  for (const rtb of dc1.routeTableIds) for (const d of destinations) routes.set(`${rtb} ${d}`, PRIMARY_ENI);
  const replaces: FormBody[] = [];
  const replaceTimes: number[] = [];
  const actions: string[] = [];
  nock('https://ec2.us-east-1.amazonaws.com')
    .persist()
    .post('/')
    .delay(replyDelayMs)
    .reply((_uri, body) => {
      const form = Object.fromEntries(new URLSearchParams(body as string)) as FormBody;
      const xml = { 'Content-Type': 'text/xml;charset=UTF-8' };
      actions.push(form.Action ?? '');
      switch (form.Action) {
        case 'DescribeInstances':
          return [
            200,
            instancesXml([
              { id: 'i-0aaaaaaaaaaaaaaa1', state: 'running', tag: 'dc1-primary', enis: [PRIMARY_ENI] },
              { id: 'i-0bbbbbbbbbbbbbbb2', state: 'running', tag: 'dc1-secondary', enis: [SECONDARY_ENI] },
            ]),
            xml,
          ];
        case 'DescribeRouteTables':
          return [
            200,
            routeTablesXml(
              dc1.routeTableIds.map((id) => ({
                id,
                routes: destinations.map((d) =>
                  prefixList
                    ? { prefixListId: d, eni: routes.get(`${id} ${d}`)! }
                    : { cidr: d, eni: routes.get(`${id} ${d}`)! },
                ),
              })),
            ),
            xml,
          ];
        case 'ReplaceRoute': {
          replaces.push(form);
          replaceTimes.push(Date.now());
          if (failReplaceOn.includes(replaces.length)) {
            return code === 'RequestLimitExceeded'
              ? [503, ec2Error(code, 'Request limit exceeded.'), xml]
              : [403, ec2Error(code, 'You are not authorized to perform this operation.'), xml];
          }
          routes.set(
            `${form.RouteTableId} ${form.DestinationCidrBlock ?? form.DestinationPrefixListId}`,
            form.NetworkInterfaceId!,
          );
          return [200, fixture('ec2/replace-route.xml'), xml];
        }
        case 'DescribeManagedPrefixLists':
          return [200, prefixListsXml(prefixList ? [prefixList] : []), xml];
        default:
          return [400, ec2Error('InvalidAction', `unexpected ${form.Action}`), xml];
      }
    });
  return { routes, replaces, replaceTimes, actions };
}

describe('FailoverExecutor over the EC2 route tables adapter', () => {
  let clock: ManualClock;
  let store: Store;

  const executor = (budget?: RequestBudget) => {
    const clients = fakeClients();
    const resolver = new TunnelInstanceResolver({ clients, clock });
    return new FailoverExecutor({
      store,
      routeTables: new Ec2RouteTables({
        clients,
        resolver,
        log: silentLogger(),
        ...(budget ? { budget } : {}),
      }),
      clock,
      log: silentLogger(),
      checkTarget: async () => ({ healthy: true, reason: 'ok' }),
    });
  };
  const plan = {
    site: dc1,
    to: 'secondary',
    actor: 'UAPPROVER1',
    requestId: 'req-ec2',
    trigger: 'approved' as const,
  };

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
  });

  afterEach(async () => {
    nock.cleanAll();
    await store.close();
  });

  it('sends one ReplaceRoute per route table x CIDR to the secondary ENI (never DeleteRoute/CreateRoute)', async () => {
    const ec2 = fakeEc2();
    const result = await executor().execute(plan);
    expect(result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 4 });
    expect(ec2.replaces.map((f) => [f.RouteTableId, f.DestinationCidrBlock, f.NetworkInterfaceId])).toEqual([
      ['rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', SECONDARY_ENI],
      ['rtb-0a1b2c3d4e5f60718', '10.21.0.0/16', SECONDARY_ENI],
      ['rtb-0a1b2c3d4e5f60719', '10.20.0.0/16', SECONDARY_ENI],
      ['rtb-0a1b2c3d4e5f60719', '10.21.0.0/16', SECONDARY_ENI],
    ]);
    expect([...ec2.routes.values()].every((eni) => eni === SECONDARY_ENI)).toBe(true);
    expect(new Set(ec2.actions)).toEqual(
      new Set(['DescribeRouteTables', 'DescribeInstances', 'ReplaceRoute']),
    );
  });

  // Issue 23: the fewest calls the topology allows. With the site's CIDRs in one prefix list a failover is one
  // ReplaceRoute per route table, and the route tables are read once under the lease and once to verify.
  it('with routeDestination: prefix-list, makes one ReplaceRoute per route table and reads the tables twice', async () => {
    const list = { id: 'pl-0a1b2c3d4e5f60718', name: 'tunnelops-dc1-on-prem' };
    const ec2 = fakeEc2([], 0, 'UnauthorizedOperation', list);
    const result = await executor().execute({ ...plan, site: { ...dc1, routeDestination: 'prefix-list' } });
    expect(result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 2 });
    expect(
      ec2.replaces.map((f) => [f.RouteTableId, f.DestinationPrefixListId, f.DestinationCidrBlock]),
    ).toEqual(dc1.routeTableIds.map((rtb) => [rtb, list.id, undefined]));
    expect(ec2.replaces.length).toBeLessThanOrEqual(dc1.routeTableIds.length);
    expect([...ec2.routes.values()].every((eni) => eni === SECONDARY_ENI)).toBe(true);
    const count = (a: string) => ec2.actions.filter((x) => x === a).length;
    expect(count('DescribeRouteTables')).toBe(2);
    expect(count('DescribeManagedPrefixLists')).toBe(1);
    expect(count('DescribeInstances')).toBe(1);
  });

  // EC2 throttles (RequestLimitExceeded): nothing changed, so the call waits for another turn in the account's
  // budget and goes again. Never a failure, never a rollback that would spend 4 more calls.
  it('waits out a throttled ReplaceRoute in the budget instead of failing and rolling back', async () => {
    const ec2 = fakeEc2([2, 3, 5], 0, 'RequestLimitExceeded');
    const turns: string[] = [];
    const result = await executor({ take: async (_region, api) => void turns.push(api) }).execute(plan);
    expect(result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 4 });
    expect(ec2.replaces).toHaveLength(7);
    expect(ec2.replaces.every((f) => f.NetworkInterfaceId === SECONDARY_ENI)).toBe(true);
    expect([...ec2.routes.values()].every((eni) => eni === SECONDARY_ENI)).toBe(true);
    // Every call, the repeated ones too, took its turn in the budget.
    expect(turns.filter((t) => t === 'ReplaceRoute')).toHaveLength(7);
    const events = (await store.listAudit({ site: 'dc1' })).map((e) => e.event);
    expect(events).not.toContain('rolled-back');
    expect(events).not.toContain('failed');
    expect(events.at(-1)).toBe('succeeded');
  });

  // Issue 23: the SDK's own backoff (3 attempts here, as in production) must not retry a throttled call on top of
  // the budget: such a retry goes out of turn, after a wait no other process knows of. Every attempt that reaches
  // EC2 took its turn in the budget; a server error is still retried by the SDK.
  it('with a budget, the SDK never retries a throttled call: every attempt that reaches EC2 took a turn', async () => {
    const ec2 = fakeEc2([2, 3, 5], 0, 'RequestLimitExceeded');
    const clients = fakeClients({ maxAttempts: 3 });
    const turns: string[] = [];
    const run = new FailoverExecutor({
      store,
      routeTables: new Ec2RouteTables({
        clients,
        resolver: new TunnelInstanceResolver({ clients, clock }),
        log: silentLogger(),
        budget: { take: async (_region, api) => void turns.push(api) },
      }),
      clock,
      log: silentLogger(),
      checkTarget: async () => ({ healthy: true, reason: 'ok' }),
    });
    try {
      const result = await run.execute(plan);
      expect(result).toMatchObject({ ok: true, to: 'secondary', changed: 4 });
      expect(ec2.replaces).toHaveLength(7);
      expect(turns.filter((t) => t === 'ReplaceRoute')).toHaveLength(ec2.replaces.length);
    } finally {
      clients.destroy();
    }
  });

  // The 4 ReplaceRoutes go out together (bounded concurrency), so 3 land before the 3rd is refused. Rollback
  // converges every route the run touched back onto the primary ENI, the refused one too (an error may hide an
  // applied call), so the site is never left split.
  it('converges every route back to the primary ENI when EC2 refuses the 3rd ReplaceRoute', async () => {
    const ec2 = fakeEc2([3]);
    const result = await executor().execute(plan);
    expect(result).toMatchObject({ ok: false, refused: false, changed: 4, rolledBack: 4 });
    if (!result.ok) expect(result.reason).toMatch(/access denied \(UnauthorizedOperation\)/);
    expect(ec2.replaces).toHaveLength(8);
    expect(ec2.replaces.slice(4).map((f) => f.NetworkInterfaceId)).toEqual([
      PRIMARY_ENI,
      PRIMARY_ENI,
      PRIMARY_ENI,
      PRIMARY_ENI,
    ]);
    expect([...ec2.routes.values()].every((eni) => eni === PRIMARY_ENI)).toBe(true);
    const events = (await store.listAudit({ site: 'dc1' })).map((e) => e.event);
    expect(events).toEqual([
      'started',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'rolled-back',
      'failed',
    ]);
  });

  // Issue 22 item 11, failure: the target tunnel dies between the precheck and the lease (e.g. while the run
  // waited out a broken holder's lease). The run re-checks it under the lease and changes nothing.
  it('re-checks the target after taking the lease and refuses, changing nothing, when it died meanwhile', async () => {
    const ec2 = fakeEc2();
    const checks: boolean[] = [];
    const clients = fakeClients();
    const run = new FailoverExecutor({
      store,
      routeTables: new Ec2RouteTables({
        clients,
        resolver: new TunnelInstanceResolver({ clients, clock }),
        log: silentLogger(),
      }),
      clock,
      log: silentLogger(),
      checkTarget: async () => {
        const healthy = checks.length === 0;
        checks.push(healthy);
        return healthy ? { healthy, reason: 'ok' } : { healthy, reason: 'probe loss 100%' };
      },
    });
    const result = await run.execute(plan);
    expect(result).toMatchObject({ ok: false, refused: true, changed: 0 });
    if (!result.ok) expect(result.reason).toBe('secondary is not healthy: probe loss 100%');
    expect(checks).toEqual([true, false]);
    expect(ec2.replaces).toHaveLength(0);
    expect(await store.get('lock', 'site:dc1')).toBeNull();
  });

  // Issue 23, failure: an AZ outage queues every site's route changes in the account's budget, longer than one
  // lease TTL for the sites served last. The lease is renewed all along, so the call goes out in its turn: it
  // must not fail the run (and spend a rollback's calls) because the lease's first expiry passed.
  it('sends a ReplaceRoute that waited its turn in the budget longer than the lease TTL, the lease renewed', async () => {
    const realStore = new SqliteStore({ path: ':memory:' });
    const ec2 = fakeEc2();
    const clients = fakeClients();
    const run = new FailoverExecutor({
      store: realStore,
      routeTables: new Ec2RouteTables({
        clients,
        resolver: new TunnelInstanceResolver({ clients, clock: systemClock }),
        log: silentLogger(),
        budget: {
          take: async (_region, api) => {
            if (api === 'ReplaceRoute') await new Promise((r) => setTimeout(r, 2500));
          },
        },
      }),
      clock: systemClock,
      log: silentLogger(),
      checkTarget: async () => ({ healthy: true, reason: 'ok' }),
      lockTtlMs: 1000,
      leaseRenewEveryMs: 100,
    });
    try {
      const result = await run.execute(plan);
      expect(result).toMatchObject({ ok: true, to: 'secondary', changed: 4 });
      expect(ec2.replaces).toHaveLength(4);
      expect([...ec2.routes.values()].every((eni) => eni === SECONDARY_ENI)).toBe(true);
      const events = (await realStore.listAudit({ site: 'dc1' })).map((e) => e.event);
      expect(events).not.toContain('failed');
    } finally {
      clients.destroy();
      await realStore.close();
    }
  });

  // Issue 22 item 11, failure: the store stops answering renewals while EC2 throttles, so the lease runs out
  // with a ReplaceRoute in flight. Neither that call nor an SDK retry of it may go out after the lease's expiry.
  it('sends no ReplaceRoute, nor an SDK retry of one, after the lease has run out', async () => {
    const realStore = new SqliteStore({ path: ':memory:' });
    let leaseExpiresAt = Number.POSITIVE_INFINITY;
    const hiccup = new Proxy(realStore, {
      get(target, prop, receiver) {
        if (prop === 'extendIfToken')
          return async () => {
            throw new Error('store timeout');
          };
        if (prop === 'create')
          return async (ns: string, key: string, value: unknown, ttlMs?: number, token?: string) => {
            const created = await target.create(ns, key, value, ttlMs, token);
            if (created && ns === 'lock') leaseExpiresAt = Date.now() + (ttlMs ?? 0);
            return created;
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    // Every ReplaceRoute is throttled after 400 ms: the SDK (5 attempts, as a caller could configure) keeps
    // retrying well past the 1 s lease unless the run's lease bounds it.
    const ec2 = fakeEc2([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 400, 'RequestLimitExceeded');
    const clients = fakeClients({ maxAttempts: 5 });
    const run = new FailoverExecutor({
      store: hiccup,
      routeTables: new Ec2RouteTables({
        clients,
        resolver: new TunnelInstanceResolver({ clients, clock: systemClock }),
        log: silentLogger(),
      }),
      clock: systemClock,
      log: silentLogger(),
      checkTarget: async () => ({ healthy: true, reason: 'ok' }),
      lockTtlMs: 1000,
      leaseRenewEveryMs: 100,
      concurrency: 1,
    });
    try {
      const result = await run.execute(plan);
      expect(result).toMatchObject({ ok: false, refused: false, rolledBack: 0 });
      expect(ec2.replaces.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...ec2.replaceTimes)).toBeLessThan(leaseExpiresAt);
      // Nothing goes out later either (a late retry would show up here).
      await new Promise((r) => setTimeout(r, 1500));
      expect(Math.max(...ec2.replaceTimes)).toBeLessThan(leaseExpiresAt);
    } finally {
      clients.destroy();
      await realStore.close();
    }
  });
});
