/**
 * The failover controller Lambda's real `handler`, cold-started in its own process with AWS_ENDPOINT_URL at
 * moto, configured as infra/ configures it (TUNNELOPS_SITE, the Slack token from its Secrets Manager secret):
 * a Tunnel Health Changed event for the active tunnel moves every on-prem route of the site in moto.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { heartbeat, putHeartbeat } from '../helpers/heartbeats.js';
import { awsProcessEnv, invokeController } from './support/child-env.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { allRoutesTo, siteRoutes } from './support/moto-reads.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, DEFAULT_SITE, type MotoClients, motoClients, type World } from './support/site-world.js';

const event = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8')) as Record<string, unknown>;

describeWithMoto('controller Lambda against moto', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let store: DynamoStore;
  let slack: SlackStandin;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c, { sites: [{ ...DEFAULT_SITE, mode: 'auto' }] });
    store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
    slack = new SlackStandin();
    env = awsProcessEnv(moto.endpoint, world.tableName, {
      TUNNELOPS_SITE: 'dc1',
      SLACK_BOT_TOKEN_SECRET_ARN: world.slackSecretArn,
      SLACK_API_URL: await slack.start(),
    });
  }, 60_000);

  afterAll(async () => {
    await slack?.stop();
    c?.destroy();
    await moto?.stop();
  });

  it('on Tunnel Health Changed (primary down, secondary up) moves every route to the secondary ENI', async () => {
    const dc1 = world.sites[0]!;
    const [primary, secondary] = dc1.tunnels;
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, primary.instanceId));
    // What the two monitors last wrote into the shared table.
    await putHeartbeat(store, heartbeat('primary', 'down', Date.now()));
    await putHeartbeat(store, heartbeat('secondary', 'up', Date.now()));

    const result = await invokeController(env, world.topology, event('tunnel-health-changed'));

    expect(result.status).toBe('evaluated');
    expect(result.decisions).toEqual([
      expect.objectContaining({ site: 'dc1', action: 'failover', to: 'secondary', changed: 4 }),
    ]);
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, secondary.eniId));
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.filter((e) => e.event === 'routes-changed')).toHaveLength(4);
    expect(audit.at(-1)).toMatchObject({ action: 'failover', event: 'succeeded', actor: 'controller' });
    // The token came from the secret in moto: without it the controller has no Slack at all.
    expect(slack.callsTo('chat.postMessage').some((m) => m.args.channel === dc1.site.slackChannel)).toBe(
      true,
    );
  }, 60_000);

  it('a health event for a tunnel that is already standby changes nothing in moto', async () => {
    const dc1 = world.sites[0]!;
    const before = await siteRoutes(c.ec2, dc1);
    const changes = async () =>
      (await store.listAudit({ site: 'dc1' })).filter((e) => e.event === 'routes-changed').length;
    const changedBefore = await changes();
    await putHeartbeat(store, heartbeat('secondary', 'up', Date.now()));
    // The old primary is still down, but it no longer carries traffic: nothing to do.
    const result = await invokeController(env, world.topology, event('tunnel-health-changed'));
    expect(result.decisions?.[0]).toMatchObject({ site: 'dc1', action: 'none', code: 'active-ok' });
    expect(await siteRoutes(c.ec2, dc1)).toEqual(before);
    expect(await changes()).toBe(changedBefore);
  }, 60_000);
});
