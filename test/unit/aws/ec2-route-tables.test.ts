import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { Ec2Instances } from '../../../src/aws/ec2-instances.js';
import { Ec2RouteTables } from '../../../src/aws/ec2-route-tables.js';
import { TunnelInstanceResolver } from '../../../src/aws/tunnel-instance-resolver.js';
import { TunnelOpsError } from '../../../src/domain/errors.js';
import { silentLogger } from '../../../src/log.js';
import { RouteExistsError, RouteMissingError } from '../../../src/ports/route-tables.js';
import {
  demoSites,
  ec2Error,
  type FormBody,
  fakeClients,
  fixture,
  formList,
  instancesXml,
  makeSite,
  nockEc2,
  prefixListsXml,
  routeTablesXml,
} from './aws-http.js';

const clock = { now: () => Date.parse('2026-11-25T12:00:00Z') };

function adapters(options: Parameters<typeof fakeClients>[0] = {}) {
  const clients = fakeClients(options);
  const resolver = new TunnelInstanceResolver({ clients, clock });
  return {
    routes: new Ec2RouteTables({ clients, resolver, log: silentLogger() }),
    instances: new Ec2Instances({ resolver }),
  };
}

describe('Ec2RouteTables.observe', () => {
  it('maps each route table x CIDR of the demo site to the tunnel its target belongs to', async () => {
    const tableCalls: FormBody[] = [];
    const instanceCalls: FormBody[] = [];
    nockEc2(
      'us-east-1',
      'DescribeRouteTables',
      200,
      fixture('ec2/describe-route-tables-dc1.xml'),
      tableCalls,
    );
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'), instanceCalls);

    const result = await adapters().routes.observe(demoSites());

    const dc1 = result.get('dc1');
    expect(dc1).toEqual({
      ok: true,
      value: [
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
          cidr: '10.20.0.0/16',
          tunnel: 'primary',
          target: 'i-0a1b2c3d4e5f60001',
          blackhole: false,
          missing: false,
        },
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
          cidr: '10.21.0.0/16',
          tunnel: 'primary',
          target: 'i-0a1b2c3d4e5f60001',
          blackhole: false,
          missing: false,
        },
        // A route to the primary instance's second ENI still belongs to the primary tunnel.
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60719',
          cidr: '10.20.0.0/16',
          tunnel: 'primary',
          target: 'eni-0a1b2c3d4e5f6000a',
          blackhole: false,
          missing: false,
        },
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60719',
          cidr: '10.21.0.0/16',
          tunnel: 'secondary',
          target: 'i-0a1b2c3d4e5f60002',
          blackhole: true,
          missing: false,
        },
      ],
    });
    expect(tableCalls).toHaveLength(1);
    expect(tableCalls[0]).toMatchObject({ 'Filter.1.Name': 'route-table-id' });
    expect(formList(tableCalls[0]!, 'Filter.1.Value.')).toEqual([
      'rtb-0a1b2c3d4e5f60718',
      'rtb-0a1b2c3d4e5f60719',
    ]);
    expect(instanceCalls[0]).toMatchObject({ 'Filter.1.Name': 'tag:tunnelops:tunnel' });
    expect(formList(instanceCalls[0]!, 'Filter.1.Value.')).toEqual(['dc1-primary', 'dc1-secondary']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('flags missing routes, missing tables and routes to targets that are not a tunnel', async () => {
    const site = makeSite(7, 'eu-west-1');
    const multi = {
      ...site,
      onPremCidrs: ['10.7.0.0/16', '10.8.0.0/16', '10.9.0.0/16'],
      routeTableIds: ['rtb-00000007', 'rtb-000000ff'],
    };
    nockEc2(
      'eu-west-1',
      'DescribeRouteTables',
      200,
      routeTablesXml([
        {
          id: 'rtb-00000007',
          routes: [
            { cidr: '10.7.0.0/16', eni: 'eni-0000000b', instanceId: 'i-0000000b' },
            { cidr: '10.8.0.0/16', gatewayId: 'tgw-0123456789abcdef0' },
            { cidr: '10.9.0.0/16', eni: 'eni-0fffffff', state: 'blackhole' },
          ],
        },
      ]),
    );
    nockEc2(
      'eu-west-1',
      'DescribeInstances',
      200,
      instancesXml([{ id: 'i-0000000b', state: 'running', tag: 's7-b', enis: ['eni-0000000b'] }]),
    );

    const obs = (await adapters().routes.observe([multi])).get('s7');

    expect(obs?.ok && obs.value).toEqual([
      {
        routeTableId: 'rtb-00000007',
        cidr: '10.7.0.0/16',
        tunnel: 'b',
        target: 'i-0000000b',
        blackhole: false,
        missing: false,
      },
      {
        routeTableId: 'rtb-00000007',
        cidr: '10.8.0.0/16',
        tunnel: null,
        target: 'tgw-0123456789abcdef0',
        blackhole: false,
        missing: false,
      },
      {
        routeTableId: 'rtb-00000007',
        cidr: '10.9.0.0/16',
        tunnel: null,
        target: 'eni-0fffffff',
        blackhole: true,
        missing: false,
      },
      ...['10.7.0.0/16', '10.8.0.0/16', '10.9.0.0/16'].map((cidr) => ({
        routeTableId: 'rtb-000000ff',
        cidr,
        tunnel: null,
        target: null,
        blackhole: false,
        missing: true,
      })),
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes one DescribeRouteTables and one DescribeInstances per region for many sites, shared with Instances', async () => {
    const regions = ['us-east-1', 'eu-west-1'];
    const sites = Array.from({ length: 30 }, (_, i) => makeSite(i + 1, regions[i % 2]!));
    const tableCalls: Record<string, FormBody[]> = { 'us-east-1': [], 'eu-west-1': [] };
    const instanceCalls: Record<string, FormBody[]> = { 'us-east-1': [], 'eu-west-1': [] };
    for (const region of regions) {
      const mine = sites.filter((s) => s.region === region);
      const tables = mine.map((s) => ({
        id: s.routeTableIds[0]!,
        routes: [{ cidr: s.onPremCidrs[0]!, eni: `eni-${s.name}-a` }],
      }));
      const insts = mine.flatMap((s) =>
        ['a', 'b'].map((t) => ({
          id: `i-${s.name}-${t}`,
          state: 'running',
          tag: `${s.name}-${t}`,
          enis: [`eni-${s.name}-${t}`],
        })),
      );
      nockEc2(region, 'DescribeRouteTables', 200, routeTablesXml(tables), tableCalls[region]);
      nockEc2(region, 'DescribeInstances', 200, instancesXml(insts), instanceCalls[region]);
    }
    const { routes, instances } = adapters();

    const [routeResult, instanceResult] = await Promise.all([
      routes.observe(sites),
      instances.observe(sites),
    ]);

    for (const region of regions) {
      expect(tableCalls[region]).toHaveLength(1);
      expect(instanceCalls[region]).toHaveLength(1);
      expect(formList(tableCalls[region]![0]!, 'Filter.1.Value.')).toHaveLength(15);
      expect(formList(instanceCalls[region]![0]!, 'Filter.1.Value.')).toHaveLength(30);
    }
    for (const s of sites) {
      const r = routeResult.get(s.name);
      expect(r?.ok && r.value.map((o) => o.tunnel)).toEqual(['a']);
      expect(instanceResult.get(`${s.name}/b`)).toEqual({
        ok: true,
        value: { instanceId: `i-${s.name}-b`, state: 'running' },
      });
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes only the failing region unknown, with a readable reason (throttled, access denied)', async () => {
    const sites = [makeSite(1, 'us-east-1'), makeSite(2, 'eu-west-1'), makeSite(3, 'ap-southeast-2')];
    nockEc2(
      'us-east-1',
      'DescribeRouteTables',
      503,
      ec2Error('RequestLimitExceeded', 'Request limit exceeded.'),
    );
    nockEc2('us-east-1', 'DescribeInstances', 200, instancesXml([]));
    nockEc2(
      'eu-west-1',
      'DescribeRouteTables',
      200,
      routeTablesXml([{ id: 'rtb-00000002', routes: [{ cidr: '10.2.0.0/16', eni: 'eni-2b' }] }]),
    );
    nockEc2(
      'eu-west-1',
      'DescribeInstances',
      200,
      instancesXml([{ id: 'i-2b', state: 'running', tag: 's2-b', enis: ['eni-2b'] }]),
    );
    nockEc2('ap-southeast-2', 'DescribeRouteTables', 200, routeTablesXml([]));
    nockEc2(
      'ap-southeast-2',
      'DescribeInstances',
      403,
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
    );

    const result = await adapters().routes.observe(sites);

    expect(result.get('s1')).toEqual({ ok: false, reason: 'AWS throttled the call (RequestLimitExceeded)' });
    expect(result.get('s2')?.ok).toBe(true);
    expect(result.get('s3')).toEqual({
      ok: false,
      reason: 'cannot tell which tunnel a route points at: access denied (UnauthorizedOperation)',
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reports a hung call as timed out', async () => {
    nock('https://ec2.us-east-1.amazonaws.com')
      .post('/')
      .delay(1000)
      .reply(200, routeTablesXml([]))
      .persist();

    const result = await adapters({ requestTimeoutMs: 100 }).routes.observe(demoSites());

    expect(result.get('dc1')).toEqual({ ok: false, reason: 'the AWS call timed out' });
  });
});

describe('Ec2RouteTables.replace', () => {
  it("replaces the route in place, pointing it at the tunnel's own interface (device index 1, attached at boot)", async () => {
    const calls: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2('us-east-1', 'ReplaceRoute', 200, fixture('ec2/replace-route.xml'), calls);

    await adapters().routes.replace(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'primary');

    expect(calls).toEqual([
      {
        Action: 'ReplaceRoute',
        Version: '2016-11-15',
        RouteTableId: 'rtb-0a1b2c3d4e5f60718',
        DestinationCidrBlock: '10.20.0.0/16',
        // Not the host's eni-...0001 at device index 0: routes to the tunnel's interface outlive the instance.
        NetworkInterfaceId: 'eni-0a1b2c3d4e5f6000a',
      },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('falls back to the ENI at device index 0 when the instance has no tunnel interface', async () => {
    const calls: FormBody[] = [];
    nockEc2(
      'us-east-1',
      'DescribeInstances',
      200,
      instancesXml([
        {
          id: 'i-0a1b2c3d4e5f60001',
          state: 'running',
          tag: 'dc1-primary',
          enis: ['eni-host0'],
        },
      ]),
    );
    nockEc2('us-east-1', 'ReplaceRoute', 200, fixture('ec2/replace-route.xml'), calls);

    await adapters().routes.replace(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'primary');

    expect(calls.map((c) => c.NetworkInterfaceId)).toEqual(['eni-host0']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reuses the instance lookup for the routes of one failover (short TTL)', async () => {
    const calls: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2('us-east-1', 'ReplaceRoute', 200, fixture('ec2/replace-route.xml'), calls, 4);
    const { routes } = adapters();
    const site = demoSites()[0]!;

    for (const rtb of site.routeTableIds) {
      for (const cidr of site.onPremCidrs) await routes.replace(site, rtb, cidr, 'secondary');
    }

    expect(calls.map((c) => `${c.RouteTableId} ${c.DestinationCidrBlock} ${c.NetworkInterfaceId}`)).toEqual([
      'rtb-0a1b2c3d4e5f60718 10.20.0.0/16 eni-0a1b2c3d4e5f60002',
      'rtb-0a1b2c3d4e5f60718 10.21.0.0/16 eni-0a1b2c3d4e5f60002',
      'rtb-0a1b2c3d4e5f60719 10.20.0.0/16 eni-0a1b2c3d4e5f60002',
      'rtb-0a1b2c3d4e5f60719 10.21.0.0/16 eni-0a1b2c3d4e5f60002',
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses, without touching the route, when the tunnel has no instance', async () => {
    nockEc2('us-east-1', 'DescribeInstances', 200, instancesXml([]));

    const err = await adapters()
      .routes.replace(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'secondary')
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TunnelOpsError);
    expect((err as TunnelOpsError).code).toBe('precondition_failed');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('turns EC2\'s "no route defined" answer into RouteMissingError, so the executor creates the route', async () => {
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2(
      'us-east-1',
      'ReplaceRoute',
      400,
      ec2Error(
        'InvalidParameterValue',
        "There is no route defined for '10.20.0.0/16' in the route table. Use CreateRoute instead.",
      ),
    );

    const err = await adapters()
      .routes.replace(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'primary')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouteMissingError);
    expect((err as Error).message).toMatch(/no route defined for '10\.20\.0\.0\/16'/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('passes any other EC2 error through so the failover can report it', async () => {
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2(
      'us-east-1',
      'ReplaceRoute',
      403,
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
    );

    await expect(
      adapters().routes.replace(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'primary'),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("refuses a route table or CIDR that is not the site's without calling EC2", async () => {
    const { routes } = adapters();
    const site = demoSites()[0]!;
    await expect(routes.replace(site, 'rtb-0123456789abcdef0', '10.20.0.0/16', 'primary')).rejects.toThrow(
      /no route 10\.20\.0\.0\/16 in rtb-0123456789abcdef0 of site dc1/,
    );
    await expect(routes.create(site, 'rtb-0a1b2c3d4e5f60718', '0.0.0.0/0', 'primary')).rejects.toThrow(
      /no route 0\.0\.0\.0\/0/,
    );
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('Ec2RouteTables.create', () => {
  it('creates a missing route with CreateRoute to the primary ENI of the tunnel instance', async () => {
    const calls: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2('us-east-1', 'CreateRoute', 200, fixture('ec2/create-route.xml'), calls);

    await adapters().routes.create(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60719', '10.21.0.0/16', 'secondary');

    expect(calls).toEqual([
      {
        Action: 'CreateRoute',
        Version: '2016-11-15',
        RouteTableId: 'rtb-0a1b2c3d4e5f60719',
        DestinationCidrBlock: '10.21.0.0/16',
        NetworkInterfaceId: 'eni-0a1b2c3d4e5f60002',
      },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('turns RouteAlreadyExists into RouteExistsError, so the executor replaces it instead', async () => {
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2(
      'us-east-1',
      'CreateRoute',
      400,
      ec2Error('RouteAlreadyExists', 'The route identified by 10.21.0.0/16 already exists.'),
    );
    await expect(
      adapters().routes.create(demoSites()[0]!, 'rtb-0a1b2c3d4e5f60719', '10.21.0.0/16', 'secondary'),
    ).rejects.toBeInstanceOf(RouteExistsError);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('Ec2RouteTables with routeDestination: prefix-list', () => {
  const site = () => ({ ...demoSites()[0]!, routeDestination: 'prefix-list' as const });
  const LIST = { id: 'pl-0a1b2c3d4e5f60718', name: 'tunnelops-dc1-on-prem' };

  it("observes one route per table, to the site's prefix list found by its name once per process", async () => {
    const listCalls: FormBody[] = [];
    const tableCalls: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeManagedPrefixLists', 200, prefixListsXml([LIST]), listCalls);
    const tables = routeTablesXml([
      {
        id: 'rtb-0a1b2c3d4e5f60718',
        routes: [
          // A per-CIDR route left beside the list is not the site's route any more.
          { cidr: '10.20.0.0/16', eni: 'eni-0a1b2c3d4e5f60002' },
          { prefixListId: LIST.id, eni: 'eni-0a1b2c3d4e5f6000a' },
        ],
      },
      { id: 'rtb-0a1b2c3d4e5f60719', routes: [{ prefixListId: 'pl-0fffffffffffffff0', eni: 'eni-x' }] },
    ]);
    nockEc2('us-east-1', 'DescribeRouteTables', 200, tables, tableCalls, 2);
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    const { routes } = adapters();

    const first = await routes.observe([site()]);
    const second = await routes.observe([site()]);

    const expected = {
      ok: true,
      value: [
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
          cidr: LIST.name,
          tunnel: 'primary',
          target: 'eni-0a1b2c3d4e5f6000a',
          blackhole: false,
          missing: false,
        },
        // Another list's route is not this site's: its route here is missing.
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60719',
          cidr: LIST.name,
          tunnel: null,
          target: null,
          blackhole: false,
          missing: true,
        },
      ],
    };
    expect(first.get('dc1')).toEqual(expected);
    expect(second.get('dc1')).toEqual(expected);
    expect(listCalls).toHaveLength(1);
    expect(listCalls[0]).toMatchObject({
      'Filter.1.Name': 'prefix-list-name',
      'Filter.1.Value.1': LIST.name,
    });
    expect(tableCalls).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('says the site is unknown, naming the list, when no prefix list has its name (and asks again next time)', async () => {
    nockEc2('us-east-1', 'DescribeManagedPrefixLists', 200, prefixListsXml([]), [], 2);
    nockEc2('us-east-1', 'DescribeRouteTables', 200, fixture('ec2/describe-route-tables-dc1.xml'), [], 2);
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    const { routes } = adapters();

    for (let i = 0; i < 2; i++) {
      const dc1 = (await routes.observe([site()])).get('dc1');
      expect(dc1?.ok).toBe(false);
      expect(dc1?.ok === false && dc1.reason).toMatch(
        /no prefix list named tunnelops-dc1-on-prem in us-east-1/,
      );
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('moves the one route of a table with ReplaceRoute to the prefix list, never naming a CIDR', async () => {
    const calls: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeManagedPrefixLists', 200, prefixListsXml([LIST]));
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockEc2('us-east-1', 'ReplaceRoute', 200, fixture('ec2/replace-route.xml'), calls, 2);
    const { routes } = adapters();

    for (const rtb of site().routeTableIds) await routes.replace(site(), rtb, LIST.name, 'secondary');

    expect(calls).toEqual(
      site().routeTableIds.map((rtb) => ({
        Action: 'ReplaceRoute',
        Version: '2016-11-15',
        RouteTableId: rtb,
        DestinationPrefixListId: LIST.id,
        NetworkInterfaceId: 'eni-0a1b2c3d4e5f60002',
      })),
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses a CIDR of a prefix-list site (its routes name the list) without calling EC2', async () => {
    await expect(
      adapters().routes.replace(site(), 'rtb-0a1b2c3d4e5f60718', '10.20.0.0/16', 'secondary'),
    ).rejects.toThrow(/no route 10.20.0.0\/16 in rtb-0a1b2c3d4e5f60718 of site dc1/);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
