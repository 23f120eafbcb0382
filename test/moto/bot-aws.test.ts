/**
 * The bot as `npm start` runs it in AWS (app.ts in its own process, AWS credentials, TUNNELOPS_STORE=dynamodb,
 * AWS_ENDPOINT_URL at moto), Slack's Web API played by the local stand-in, Slack's requests signed as Slack
 * signs them: `/vpn status` answers from moto's state, and an approved `/vpn failover` moves moto's routes and
 * leaves its approval and audit items in moto's DynamoDB.
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { SlackCommandClient } from '../../src/local/slack-command-client.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { type BotProcess, startBot } from './support/bot-process.js';
import { awsProcessEnv } from './support/child-env.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { reportRounds } from './support/monitor-rounds.js';
import { allRoutesTo, siteRoutes } from './support/moto-reads.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, type MotoClients, motoClients, type World } from './support/site-world.js';
import { until } from './support/until.js';

const CHANNEL = 'C0MOTO0001';

const textOf = (reply: { text?: string; blocks?: unknown[] } | undefined | null): string =>
  `${reply?.text ?? ''}\n${JSON.stringify(reply?.blocks ?? [])}`;

describeWithMoto('the bot in AWS mode against moto', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let slack: SlackStandin;
  let bot: BotProcess;
  let client: SlackCommandClient;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c);
    // Both monitors have been reporting for a while: metrics in CloudWatch, heartbeats in the state table.
    const store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
    const deps = { cloudwatch: c.cloudwatch, store };
    await reportRounds(deps, {
      site: 'dc1',
      tunnel: 'primary',
      up: true,
      count: 10,
      lossPct: 0,
      latencyMs: 9,
    });
    await reportRounds(deps, {
      site: 'dc1',
      tunnel: 'secondary',
      up: true,
      count: 10,
      lossPct: 0,
      latencyMs: 11,
    });
    slack = new SlackStandin();
    const slackApiUrl = await slack.start();
    bot = await startBot(
      awsProcessEnv(moto.endpoint, world.tableName, {
        SLACK_BOT_TOKEN: 'xoxb-moto-test-token',
        SLACK_API_URL: slackApiUrl,
      }),
      world.topology,
    );
    client = new SlackCommandClient(bot.url, bot.signingSecret);
    await client.open();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await bot?.stop();
    await slack?.stop();
    c?.destroy();
    await moto?.stop();
  });

  it('answers a signed /vpn status from moto: primary active on every route, both tunnels healthy', async () => {
    const ack = await client.command('status dc1', 'UREQUESTER', CHANNEL);
    expect(ack.status).toBe(200);
    const reply =
      ack.body?.text || ack.body?.blocks ? ack.body : (await client.waitForReplies(1, 20_000)).at(-1);
    const text = textOf(reply);
    expect(text).toMatch(/Active tunnel:\*? \*?primary/);
    expect(text).toContain('healthy');
    expect(text).not.toContain('unknown, because');
  }, 30_000);

  it('refuses an unsigned request and changes nothing', async () => {
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=%2Fvpn&text=failover+dc1&user_id=UAPPROVER1',
    });
    expect(res.status).toBe(401);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('executes /vpn failover once a second person approves: moto routes move, approval and audit are in DynamoDB', async () => {
    const dc1 = world.sites[0]!;
    const [primary, secondary] = dc1.tunnels;
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, primary.instanceId));

    const asked = await client.command('failover dc1 "moto end to end"', 'UREQUESTER', CHANNEL);
    expect(asked.status).toBe(200);
    // The request is posted in the site's channel with Approve / Deny.
    const posted = await until(
      'the approval request in the channel',
      async () => slack.callsTo('chat.postMessage').filter((m) => m.args.channel === CHANNEL),
      (m) => m.length > 0,
    );
    const id = /fo-[a-z0-9]+/.exec(textOf(posted[0]!.args as { text?: string; blocks?: unknown[] }))?.[0];
    expect(id).toBeDefined();

    const click = (user: string) =>
      client.interaction({
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), team_id: 'T0MOTO' },
        api_app_id: 'A0TUNNELOPS',
        team: { id: 'T0MOTO', domain: 'moto' },
        channel: { id: CHANNEL, name: 'tunnelops' },
        container: { type: 'message', channel_id: CHANNEL, is_ephemeral: false, message_ts: posted[0]!.ts },
        message: { ts: posted[0]!.ts },
        trigger_id: `${Date.now()}.0000.moto`,
        response_url: client.responseUrl,
        actions: [
          {
            type: 'button',
            action_id: 'approval_approve',
            block_id: 'approval_actions',
            value: id,
            action_ts: String(Date.now() / 1000),
          },
        ],
      });

    // Nobody approves their own request: refused, and moto's routes stay where they are.
    expect((await click('UREQUESTER')).status).toBe(200);
    await until(
      'the refusal to the requester',
      async () => slack.callsTo('chat.postEphemeral').filter((m) => m.args.user === 'UREQUESTER'),
      (m) => m.length > 0,
    );
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, primary.instanceId));

    // The monitors are still reporting (an approved failover needs the target's fresh heartbeat saying up).
    const store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
    for (const tunnel of ['primary', 'secondary'])
      await reportRounds(
        { cloudwatch: c.cloudwatch, store },
        { site: 'dc1', tunnel, up: true, count: 10, lossPct: 0, latencyMs: 10 },
      );
    expect((await click('UAPPROVER1')).status).toBe(200);
    const moved = await until(
      "moto's routes on the secondary",
      () => siteRoutes(c.ec2, dc1),
      (r) => Object.values(r).every((t) => t === secondary.eniId),
    );
    expect(moved).toEqual(allRoutesTo(dc1, secondary.eniId));

    // The items the bot left in moto's DynamoDB, read raw: the request record and the audit trail.
    const doc = DynamoDBDocumentClient.from(c.dynamodb);
    const approval = await until(
      'the approval record to finish',
      async () =>
        (
          await doc.send(
            new QueryCommand({
              TableName: world.tableName,
              KeyConditionExpression: 'pk = :pk AND sk = :sk',
              ExpressionAttributeValues: { ':pk': 'rec#approval', ':sk': id },
            }),
          )
        ).Items?.[0],
      (item) => item !== undefined && /"state":"succeeded"/.test(String(item.value)),
    );
    expect(JSON.parse(String(approval!.value))).toMatchObject({
      id,
      site: 'dc1',
      requester: 'UREQUESTER',
      approver: 'UAPPROVER1',
    });
    const audit = await doc.send(
      new QueryCommand({
        TableName: world.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'audit#site#dc1' },
      }),
    );
    const entries = (audit.Items ?? []).map(
      (i) => JSON.parse(String(i.entry)) as { event: string; actor: string; requestId?: string },
    );
    expect(entries.filter((e) => e.event === 'routes-changed' && e.requestId === id)).toHaveLength(4);
    expect(entries.map((e) => e.event)).toEqual(
      expect.arrayContaining(['requested', 'approved', 'succeeded']),
    );
    expect(entries.find((e) => e.event === 'approved')?.actor).toBe('UAPPROVER1');

    // And status now reads the secondary as active from moto.
    const before = client.received.length;
    const ack = await client.command('status dc1', 'UREQUESTER', CHANNEL);
    const reply =
      ack.body?.text || ack.body?.blocks
        ? ack.body
        : (await client.waitForReplies(before + 1, 20_000)).at(-1);
    expect(textOf(reply)).toMatch(/Active tunnel:\*? \*?secondary/);
  }, 60_000);
});
