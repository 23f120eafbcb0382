/**
 * Two bot replicas, as the Shared stack runs them in two AZs: two app.ts processes in AWS mode sharing one
 * state table (moto's DynamoDB) and one alarm queue (moto's SQS), one Slack (the local stand-in, Slack's wire
 * format), Slack's requests signed with the app's one signing secret and sent to either replica as the load
 * balancer would. A failover approved on the other replica runs once; ten clicks at once over both run it
 * once; an alarm sent to the queue is posted once and updated in place once; the page's data is the same on
 * both; with one replica killed, the other answers `/vpn status` within Slack's 3 s.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { alarmName } from '../../infra/lib/naming.js';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { SlackCommandClient, type SlackReply } from '../../src/local/slack-command-client.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { alarmNotification } from './support/alarm-notification.js';
import { type BotProcess, startBot } from './support/bot-process.js';
import { awsProcessEnv } from './support/child-env.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { reportRounds } from './support/monitor-rounds.js';
import { type MotoFront, startMotoFront } from './support/moto-front.js';
import { allRoutesTo, siteRoutes } from './support/moto-reads.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, type MotoClients, motoClients, type World } from './support/site-world.js';
import { until } from './support/until.js';

const CHANNEL = 'C0MOTO0001';
const API_TOKEN = 'replicas-test-api-token';
const SIGNING_SECRET = 'replicas-test-signing-secret';

const textOf = (reply: { text?: string; blocks?: unknown[] } | undefined | null): string =>
  `${reply?.text ?? ''}\n${JSON.stringify(reply?.blocks ?? [])}`;

interface AuditRow {
  event: string;
  actor: string;
  requestId?: string;
}

describeWithMoto('two bot replicas on one store and one queue (moto)', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let slack: SlackStandin;
  let bots: [BotProcess, BotProcess];
  let clients: [SlackCommandClient, SlackCommandClient];
  let env: NodeJS.ProcessEnv;
  let front: MotoFront;

  const healthy = async () => {
    // The monitors keep reporting: fresh heartbeats and metrics, so both tunnels are fit targets.
    const store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
    const deps = { cloudwatch: c.cloudwatch, store };
    for (const tunnel of ['primary', 'secondary'])
      await reportRounds(deps, { site: 'dc1', tunnel, up: true, count: 10, lossPct: 0, latencyMs: 10 });
  };

  const audit = async (): Promise<AuditRow[]> => {
    const doc = DynamoDBDocumentClient.from(c.dynamodb);
    const out = await doc.send(
      new QueryCommand({
        TableName: world.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'audit#site#dc1' },
      }),
    );
    return (out.Items ?? []).map((i) => JSON.parse(String(i.entry)) as AuditRow);
  };

  const requestState = async (bot: BotProcess, id: string) => {
    const res = await fetch(`${bot.url}/api/request?id=${id}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    return (await res.json()) as { state: string; approver?: string; result?: { summary: string } };
  };

  /** `/vpn failover dc1` on `via`; returns the request id and the ts of its message in the channel. */
  const requestFailover = async (via: SlackCommandClient, reason: string) => {
    const before = slack.callsTo('chat.postMessage').length;
    expect((await via.command(`failover dc1 "${reason}"`, 'UREQUESTER', CHANNEL)).status).toBe(200);
    const posted = await until(
      'the approval request in the channel',
      async () =>
        slack
          .callsTo('chat.postMessage')
          .slice(before)
          .filter((m) => m.args.channel === CHANNEL && /fo-[a-z0-9]+/.test(textOf(m.args))),
      (m) => m.length > 0,
    );
    const id = /fo-[a-z0-9]+/.exec(textOf(posted[0]!.args))![0];
    return { id, ts: posted[0]!.ts! };
  };

  const click = (via: SlackCommandClient, user: string, id: string, ts: string) =>
    via.interaction({
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T0MOTO' },
      api_app_id: 'A0TUNNELOPS',
      team: { id: 'T0MOTO', domain: 'moto' },
      channel: { id: CHANNEL, name: 'tunnelops' },
      container: { type: 'message', channel_id: CHANNEL, is_ephemeral: false, message_ts: ts },
      message: { ts },
      trigger_id: `${Date.now()}.0000.moto`,
      response_url: via.responseUrl,
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

  /** A run's audit: approved once, started once, and exactly one route change per route x CIDR. */
  const expectRanOnce = async (id: string) => {
    const dc1 = world.sites[0]!;
    const slots = dc1.routeTableIds.length * dc1.site.onPremCidrs.length;
    const mine = await until(
      `the audit of ${id} to close`,
      async () => (await audit()).filter((e) => e.requestId === id),
      (e) => e.some((x) => x.event === 'succeeded' || x.event === 'failed'),
    );
    expect(mine.filter((e) => e.event === 'approved')).toHaveLength(1);
    expect(mine.filter((e) => e.event === 'started')).toHaveLength(1);
    expect(mine.filter((e) => e.event === 'routes-changed')).toHaveLength(slots);
    expect(mine.filter((e) => e.event === 'succeeded')).toHaveLength(1);
  };

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c);
    await healthy();
    slack = new SlackStandin();
    const slackApiUrl = await slack.start();
    // The bots reach moto through a front that applies DynamoDB writes one at a time, as DynamoDB does.
    front = await startMotoFront(moto.endpoint, { serializeDynamoWrites: true });
    env = awsProcessEnv(front.endpoint, world.tableName, {
      SLACK_BOT_TOKEN: 'xoxb-moto-test-token',
      SLACK_API_URL: slackApiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      TUNNELOPS_API_TOKEN: API_TOKEN,
      TUNNELOPS_ALARM_QUEUE_URL: world.queueUrl,
      TUNNELOPS_SNS_TOPIC_ARNS: world.sites.map((s) => s.topicArn).join(','),
      // A run whose replica died is reported 8 s after its last renewal (default 5 min).
      TUNNELOPS_FAILOVER_LEASE_SECONDS: '8',
    });
    bots = (await Promise.all([startBot(env, world.topology), startBot(env, world.topology)])) as [
      BotProcess,
      BotProcess,
    ];
    clients = bots.map((b) => new SlackCommandClient(b.url, b.signingSecret)) as [
      SlackCommandClient,
      SlackCommandClient,
    ];
    await Promise.all(clients.map((x) => x.open()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all((clients ?? []).map((x) => x.close()));
    await Promise.all((bots ?? []).map((b) => b.stop()));
    await slack?.stop();
    await front?.stop();
    c?.destroy();
    await moto?.stop();
  });

  it('a failover requested on one replica and approved by a click on the other runs once', async () => {
    await healthy();
    const dc1 = world.sites[0]!;
    const [primary, secondary] = dc1.tunnels;
    expect(await siteRoutes(c.ec2, dc1)).toEqual(allRoutesTo(dc1, primary.instanceId));
    const { id, ts } = await requestFailover(clients[0], 'replica A asks');
    expect((await click(clients[1], 'UAPPROVER1', id, ts)).status).toBe(200);
    await until(
      "moto's routes on the secondary",
      () => siteRoutes(c.ec2, dc1),
      (r) => Object.values(r).every((t) => t === secondary.eniId),
    );
    await expectRanOnce(id);
    // Both replicas read the same request from the store. The audit's "succeeded" is written just before the
    // request's own record closes: wait for that write, then both must agree.
    const closed = await until(
      `request ${id} to close`,
      () => requestState(bots[0], id),
      (r) => r.state !== 'executing',
    );
    expect(closed.state).toBe('succeeded');
    expect(await requestState(bots[1], id)).toMatchObject({ state: 'succeeded', approver: 'UAPPROVER1' });
  }, 90_000);

  it('ten concurrent clicks spread over both replicas run the failover once', async () => {
    await healthy();
    const dc1 = world.sites[0]!;
    const [primary] = dc1.tunnels;
    const { id, ts } = await requestFailover(clients[1], 'back, ten clicks');
    const ephemeralsBefore = slack.callsTo('chat.postEphemeral').length;
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        click(clients[i % 2]!, i % 4 < 2 ? 'UAPPROVER1' : 'UAPPROVER2', id, ts).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array(10).fill(200));
    await until(
      "moto's routes back on the primary",
      () => siteRoutes(c.ec2, dc1),
      (r) => Object.values(r).every((t) => t === primary.instanceId || t === primary.eniId),
    );
    await expectRanOnce(id);
    // The nine clicks that lost are each told, privately, that the request was already decided.
    const told = await until(
      'the nine refusals',
      async () => slack.callsTo('chat.postEphemeral').slice(ephemeralsBefore),
      (m) => m.length >= 9,
    );
    expect(told).toHaveLength(9);
    expect(
      told.every((m) =>
        /already (approved|run)|has already|is (executing|succeeded)/.test(textOf(m.args as SlackReply)),
      ),
    ).toBe(true);
  }, 90_000);

  it('an alarm sent to the queue is posted once, and its next state updates that message once', async () => {
    const name = alarmName('dc1', 'primary', 'down');
    const send = async (state: 'ALARM' | 'OK') => {
      const { message } = await alarmNotification(c.cloudwatch, name, state, `test ${state}`);
      // Raw delivery (the queue receives the alarm JSON itself): whichever replica's long poll gets it.
      await c.sqs.send(new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: message }));
    };
    const postsOf = () =>
      slack
        .callsTo('chat.postMessage')
        .filter((m) => m.args.channel === CHANNEL && !m.args.thread_ts && textOf(m.args).includes(name));
    await send('ALARM');
    const posted = await until(
      'the alarm posted',
      async () => postsOf(),
      (m) => m.length > 0,
    );
    const ts = posted[0]!.ts!;
    await send('OK');
    const updates = await until(
      'the alarm message updated to OK',
      async () => slack.callsTo('chat.update').filter((u) => u.args.ts === ts),
      (u) => u.length > 0 && /resolved/.test(slack.messages.get(`${CHANNEL}:${ts}`)?.text ?? ''),
    );
    // Quiet for a while: no second post, no second update, by either replica.
    await new Promise((r) => setTimeout(r, 4000));
    expect(postsOf()).toHaveLength(1);
    expect(slack.callsTo('chat.update').filter((u) => u.args.ts === ts)).toHaveLength(updates.length);
    expect(updates).toHaveLength(1);
  }, 90_000);

  it("either replica serves the page's data: a request opened on one is listed by both", async () => {
    await healthy();
    const { id } = await requestFailover(clients[0], 'page check');
    for (const bot of bots) {
      const res = await fetch(`${bot.url}/api/overview`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const overview = (await res.json()) as { pending: Array<{ id: string }> };
      expect(overview.pending.map((p) => p.id)).toContain(id);
    }
    // Leave nothing open for the next test.
    expect((await clients[1].command(`cancel ${id}`, 'UREQUESTER', CHANNEL)).status).toBe(200);
    await until(
      'the request cancelled',
      () => requestState(bots[0], id),
      (r) => r.state === 'cancelled',
    );
  }, 60_000);

  it('with one replica killed, the other answers /vpn status within Slack’s 3 s', async () => {
    await bots[0].kill();
    const started = Date.now();
    const before = clients[1].received.length;
    const ack = await clients[1].command('status dc1', 'UREQUESTER', CHANNEL);
    const ackMs = Date.now() - started;
    expect(ack.status).toBe(200);
    expect(ackMs).toBeLessThan(3000);
    const reply =
      ack.body?.text || ack.body?.blocks
        ? ack.body
        : (await clients[1].waitForReplies(before + 1, 20_000)).at(-1);
    expect(textOf(reply)).toMatch(/Active tunnel:\*? \*?primary/);
    expect(textOf(reply)).not.toContain('unknown, because');
  }, 60_000);

  it('a replica killed in the middle of an approved failover: a survivor reports the run, nobody runs it again', async () => {
    await healthy();
    const dc1 = world.sites[0]!;
    const slots = dc1.routeTableIds.length * dc1.site.onPremCidrs.length;
    // A third replica whose ReplaceRoute calls take 1.5 s each (a proxy in front of moto): it is killed
    // (SIGKILL, nothing released) as soon as its first route change is answered.
    let third: BotProcess | undefined;
    let killed: Promise<void> | undefined;
    const proxy = await startMotoFront(front.endpoint, {
      replaceRouteDelayMs: 1500,
      onReplaced: (n) => {
        if (n === 1 && third) killed = third.kill();
      },
    });
    third = await startBot({ ...env, AWS_ENDPOINT_URL: proxy.endpoint }, world.topology);
    const via = new SlackCommandClient(third.url, third.signingSecret);
    await via.open();
    try {
      const { id, ts } = await requestFailover(via, 'killed mid-way');
      expect((await click(via, 'UAPPROVER2', id, ts)).status).toBe(200);
      await until(
        'the replica killed mid-run',
        async () => killed !== undefined,
        (k) => k,
        30_000,
      );
      await killed;
      // Calls the dead replica had already sent still land (EC2 would apply them too); then the routes stay.
      await proxy.settled();
      const atKill = await siteRoutes(c.ec2, dc1);
      const moved = Object.values(atKill).filter((t) => t === dc1.tunnels[1].eniId).length;
      expect(moved).toBeGreaterThanOrEqual(1);
      // The surviving replica's sweep reports the run once its lease runs out, from moto's route tables.
      const final = await until(
        'the survivor to report the run',
        () => requestState(bots[1], id),
        (r) => r.state === 'succeeded' || r.state === 'failed',
        45_000,
      );
      expect(final.result?.summary).toMatch(/interrupted/);
      expect(final.result?.summary).toContain(moved === slots ? `all ${slots}` : `${moved}/${slots}`);
      const mine = (await audit()).filter((e) => e.requestId === id);
      expect(mine.filter((e) => e.event === 'started')).toHaveLength(1);
      expect(mine.filter((e) => e.event === 'reconciled')).toHaveLength(1);
      expect(mine.filter((e) => e.event === 'routes-changed').length).toBeLessThanOrEqual(moved);
      // Reported in the run's own message.
      await until(
        'the message to say so',
        async () =>
          slack.callsTo('chat.update').filter((u) => u.args.ts === ts && /interrupted/.test(textOf(u.args))),
        (u) => u.length === 1,
      );
      // Nobody ran it again: the routes are where the killed run left them.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await siteRoutes(c.ec2, dc1)).toEqual(atKill);
    } finally {
      await via.close();
      await third.stop();
      await proxy.stop();
    }
  }, 120_000);
});
