/**
 * Two sites in one account, a controller Lambda per site as infra/ deploys them (each with TUNNELOPS_SITE and
 * the whole topology bundled): each controller reads and changes only its own site. moto's request recorder
 * shows what each one read; DescribeRouteTables shows what each one changed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { heartbeat, putHeartbeat } from '../helpers/heartbeats.js';
import { awsProcessEnv, invokeController } from './support/child-env.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { allRoutesTo, siteRoutes } from './support/moto-reads.js';
import { type MotoServer, recorder, startMoto } from './support/moto-server.js';
import {
  buildWorld,
  type MotoClients,
  motoClients,
  type SiteWorld,
  type World,
} from './support/site-world.js';

const event = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8')) as Record<string, unknown>;

/** Every identifier of a site that a read or write of it would carry. */
const identifiers = (s: SiteWorld): string[] => [
  ...s.routeTableIds,
  ...s.tunnels.flatMap((t) => [t.instanceId, t.eniId]),
  `${s.site.name}-primary`,
  `${s.site.name}-secondary`,
  `tunnelops-${s.site.name}`,
  `${s.site.name}/`,
  `site#${s.site.name}`,
];

describeWithMoto('two sites, one controller each, against moto', () => {
  const recording = join(tmpdir(), `tunnelops-moto-recording-${process.pid}-${Date.now()}.jsonl`);
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let store: DynamoStore;
  let rec: ReturnType<typeof recorder>;
  let dc1: SiteWorld;
  let dc2: SiteWorld;
  const envFor = (site: string) => awsProcessEnv(moto.endpoint, world.tableName, { TUNNELOPS_SITE: site });

  /** Invokes one site's controller while moto records, and returns the result and the requests it made. */
  async function invokeRecorded(site: string, e: unknown) {
    await rec.reset();
    await rec.start();
    try {
      const result = await invokeController(envFor(site), world.topology, e);
      return { result, requests: rec.read() };
    } finally {
      await rec.stop();
    }
  }

  const mentions = (requests: ReturnType<typeof rec.read>, ids: string[]) =>
    requests.filter((r) => ids.some((id) => r.body.includes(id) || r.url.includes(id)));

  beforeAll(async () => {
    moto = await startMoto({ recordingPath: recording });
    rec = recorder(moto.endpoint, recording);
    c = motoClients(moto.endpoint);
    world = await buildWorld(c, {
      sites: [
        { name: 'dc1', onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16'], vpcCidr: '10.0.0.0/16', mode: 'auto' },
        { name: 'dc2', onPremCidrs: ['10.30.0.0/16'], vpcCidr: '10.1.0.0/16', mode: 'auto' },
      ],
    });
    [dc1, dc2] = world.sites as [SiteWorld, SiteWorld];
    store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
  }, 60_000);

  // Both sites' primaries are down and their secondaries up, freshly reported: a controller that evaluated
  // every site would fail over both.
  beforeEach(async () => {
    for (const site of ['dc1', 'dc2']) {
      await putHeartbeat(store, heartbeat('primary', 'down', Date.now(), site));
      await putHeartbeat(store, heartbeat('secondary', 'up', Date.now(), site));
    }
  });

  afterAll(async () => {
    c?.destroy();
    await moto?.stop();
    rmSync(recording, { force: true });
  });

  it("dc1's controller on its reconcile moves dc1 only, and never reads dc2", async () => {
    const dc2Before = await siteRoutes(c.ec2, dc2);
    expect(dc2Before).toEqual(allRoutesTo(dc2, dc2.tunnels[0].instanceId));

    const { result, requests } = await invokeRecorded('dc1', event('backstop-tick'));

    expect(result.decisions?.map((d) => d.site)).toEqual(['dc1']);
    expect(result.decisions?.[0]).toMatchObject({ action: 'failover', to: 'secondary', changed: 4 });
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, dc1.tunnels[1].eniId));
    expect(await siteRoutes(c.ec2, dc2)).toEqual(dc2Before);
    // What it read: dc1's tables, instances and state (the recording works) and nothing of dc2's.
    expect(mentions(requests, dc1.routeTableIds).length).toBeGreaterThan(0);
    expect(
      mentions(requests, identifiers(dc2)).map((r) => `${r.method} ${r.url} ${r.body.slice(0, 200)}`),
    ).toEqual([]);
    expect((await store.listAudit({ site: 'dc2' })).length).toBe(0);
  }, 60_000);

  it("dc1's controller ignores dc2's health event: nothing of dc2 read or changed", async () => {
    const dc2Before = await siteRoutes(c.ec2, dc2);
    const dc2Event = event('tunnel-health-changed');
    dc2Event.detail = { ...(dc2Event.detail as Record<string, unknown>), site: 'dc2' };

    const { result, requests } = await invokeRecorded('dc1', dc2Event);

    expect(result.status).toBe('ignored');
    expect(mentions(requests, identifiers(dc2))).toEqual([]);
    expect(await siteRoutes(c.ec2, dc2)).toEqual(dc2Before);
  }, 60_000);

  it("dc2's controller moves dc2 and leaves dc1 as it is", async () => {
    const dc1Before = await siteRoutes(c.ec2, dc1);

    const { result, requests } = await invokeRecorded('dc2', event('backstop-tick'));

    expect(result.decisions?.map((d) => d.site)).toEqual(['dc2']);
    expect(await siteRoutes(c.ec2, dc2)).toEqual(allRoutesTo(dc2, dc2.tunnels[1].eniId));
    expect(await siteRoutes(c.ec2, dc1)).toEqual(dc1Before);
    expect(mentions(requests, identifiers(dc1))).toEqual([]);
  }, 60_000);
});
