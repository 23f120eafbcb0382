/**
 * The failover controller Lambda's real `handler`, cold-started in its own process with AWS_ENDPOINT_URL at
 * moto, configured as infra/ configures it (TUNNELOPS_SITE, no Slack token): a Tunnel Health Changed event for
 * the active tunnel moves every on-prem route of the site in moto, and its report waits in the site's outbox
 * for the bot, which posts it as it posts the fast path's (grouped per AZ event).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/ports/clock.js';
import { OUTBOX_NS, OutboxRelay } from '../../src/services/failover/report-outbox.js';
import { createSlackChat } from '../../src/slack/slack-chat.js';
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
  let slackUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c, { sites: [{ ...DEFAULT_SITE, mode: 'auto' }] });
    store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
    slack = new SlackStandin();
    slackUrl = await slack.start();
    env = awsProcessEnv(moto.endpoint, world.tableName, {
      TUNNELOPS_SITE: 'dc1',
      // Where it would post if it could: the test checks it never does.
      SLACK_API_URL: slackUrl,
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
    // No token: nothing posted by the Lambda; its report is in the site's outbox in the state table.
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    const outbox = await store.list<{ report: { kind: string; to: string } }>(OUTBOX_NS, { site: 'dc1' });
    expect(outbox.map((r) => r.value.report)).toEqual([
      expect.objectContaining({ kind: 'failover', to: 'secondary' }),
    ]);
    // The bot's relay posts it into the site's channel, as it posts the monitors' reports.
    const relay = new OutboxRelay({
      store,
      sites: world.topology.sites,
      chat: createSlackChat('xoxb-bot', { slackApiUrl: slackUrl }),
      clock: systemClock,
      log: silentLogger(),
    });
    expect(await relay.drain()).toBe(1);
    const posts = slack.callsTo('chat.postMessage');
    expect(posts.map((m) => m.args.channel)).toEqual([dc1.site.slackChannel]);
    expect(String(posts[0]!.args.text)).toContain('secondary');
    expect(await store.list(OUTBOX_NS, { site: 'dc1' })).toEqual([]);
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
