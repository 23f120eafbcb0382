/**
 * routeDestination: prefix-list against moto's EC2: the site's CIDRs in one customer-managed prefix list and one
 * route to it per route table (as infra/ makes them, and as a migrated site ends), then a failover through the real
 * EC2 adapter: one ReplaceRoute per route table, naming the list, and moto's tables show the move.
 */
import {
  CreateManagedPrefixListCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Ec2RouteTables } from '../../src/aws/ec2-route-tables.js';
import { TunnelInstanceResolver } from '../../src/aws/tunnel-instance-resolver.js';
import type { Site } from '../../src/config/topology-schema.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/ports/clock.js';
import { FailoverExecutor } from '../../src/services/failover/failover-executor.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, type MotoClients, motoClients, type SiteWorld } from './support/site-world.js';

describeWithMoto('prefix-list routes against moto', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let dc1: SiteWorld;
  let site: Site;
  let listId: string;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    dc1 = (await buildWorld(c)).sites[0]!;
    const created = await c.ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'tunnelops-dc1-on-prem',
        AddressFamily: 'IPv4',
        MaxEntries: dc1.site.onPremCidrs.length,
        Entries: dc1.site.onPremCidrs.map((Cidr) => ({ Cidr })),
      }),
    );
    listId = created.PrefixList!.PrefixListId!;
    // The migrated site: one route to the list per table, the per-CIDR routes gone. To the primary's instance:
    // moto 5.2's CreateRoute drops DestinationPrefixListId when NetworkInterfaceId is given (its ReplaceRoute,
    // which the adapter uses, keeps it).
    for (const RouteTableId of dc1.routeTableIds) {
      await c.ec2.send(
        new CreateRouteCommand({
          RouteTableId,
          DestinationPrefixListId: listId,
          InstanceId: dc1.tunnels[0].instanceId,
        }),
      );
      for (const DestinationCidrBlock of dc1.site.onPremCidrs)
        await c.ec2.send(new DeleteRouteCommand({ RouteTableId, DestinationCidrBlock }));
    }
    site = { ...dc1.site, routeDestination: 'prefix-list' };
  }, 120_000);

  afterAll(async () => {
    c?.destroy();
    await moto?.stop();
  });

  const listRoutes = async () => {
    const out = await c.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: dc1.routeTableIds }));
    return (out.RouteTables ?? []).flatMap((t) =>
      (t.Routes ?? [])
        .filter(
          (r) =>
            r.DestinationPrefixListId === listId ||
            dc1.site.onPremCidrs.includes(r.DestinationCidrBlock ?? ''),
        )
        .map(
          (r) =>
            `${t.RouteTableId} ${r.DestinationPrefixListId ?? r.DestinationCidrBlock} ${r.NetworkInterfaceId}`,
        ),
    );
  };

  it('observes one route per table and moves each with one ReplaceRoute naming the list', async () => {
    const resolver = new TunnelInstanceResolver({ clients: c.factory, clock: systemClock });
    const routeTables = new Ec2RouteTables({ clients: c.factory, resolver, log: silentLogger() });
    const seen = (await routeTables.observe([site])).get('dc1');
    expect(seen?.ok && seen.value.map((o) => [o.routeTableId, o.cidr, o.tunnel])).toEqual(
      dc1.routeTableIds.map((rtb) => [rtb, 'tunnelops-dc1-on-prem', 'primary']),
    );

    const store = new SqliteStore({ path: ':memory:' });
    const result = await new FailoverExecutor({
      store,
      routeTables,
      clock: systemClock,
      log: silentLogger(),
      checkTarget: async () => ({ healthy: true, reason: 'test' }),
    }).execute({ site, to: 'secondary', actor: 'UAPPROVER1', trigger: 'approved' });
    await store.close();

    // At most one mutating call per route table: `changed` counts the calls that were made.
    expect(result).toMatchObject({
      ok: true,
      from: 'primary',
      to: 'secondary',
      changed: dc1.routeTableIds.length,
    });
    expect((await listRoutes()).sort()).toEqual(
      dc1.routeTableIds.map((rtb) => `${rtb} ${listId} ${dc1.tunnels[1].eniId}`).sort(),
    );
  }, 120_000);
});
