/**
 * CloudWatch -> SNS -> SQS -> bot against moto: an alarm notification published to the site's alarm topic is
 * delivered by moto's SNS into the shared queue (signed by moto), the bot's SQS consumer verifies the
 * signature, posts the alarm in the site's channel, and only then deletes the message from moto's queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import nock from 'nock';
import { alarmName } from '../../infra/lib/naming.js';
import { createApp, type RunningApp } from '../../src/app/create-app.js';
import { loadEnv } from '../../src/config/load-env.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { silentLogger } from '../../src/log.js';
import { alarmNotification } from './support/alarm-notification.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { MOTO_CREDENTIALS, type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, type MotoClients, motoClients, type World } from './support/site-world.js';
import { until } from './support/until.js';

/**
 * GET moto's copy of an SNS signing certificate. moto's server picks the service from a request's SigV4
 * credential scope (it checks no signature), so this plain GET says "sns in us-east-1" that way.
 */
function motoPem(endpoint: string, path: string): Promise<{ status: number; body: string }> {
  const scope = `${MOTO_CREDENTIALS.accessKeyId}/20260101/us-east-1/sns/aws4_request`;
  const authorization = `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=0`;
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { headers: { authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describeWithMoto('alarms through SNS -> SQS against moto', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let slack: SlackStandin;
  let app: RunningApp;
  let dataDir: string;
  let captureUrl: string;
  const savedEnv = { ...process.env };

  const queueDepth = async (url: string) => {
    const a = await c.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(a.Attributes?.ApproximateNumberOfMessages) +
      Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  const inFlight = async (url: string) =>
    Number(
      (
        await c.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
          }),
        )
      ).Attributes?.ApproximateNumberOfMessagesNotVisible,
    );

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c);
    // A second subscriber nobody consumes: keeps a genuine moto-signed copy of what the topic delivered.
    captureUrl = (await c.sqs.send(new CreateQueueCommand({ QueueName: 'capture' }))).QueueUrl!;
    const captureArn = (
      await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: captureUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    await c.sns.send(
      new SubscribeCommand({ TopicArn: world.sites[0]!.topicArn, Protocol: 'sqs', Endpoint: captureArn }),
    );
    slack = new SlackStandin();
    const slackApiUrl = await slack.start();
    dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-moto-sqs-'));
    // The app's own AWS clients take credentials from the environment, as in a container.
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    const env = loadEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      TUNNELOPS_DATA_DIR: dataDir,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      TUNNELOPS_STORE: `dynamodb:${world.tableName}`,
      TUNNELOPS_ALARM_QUEUE_URL: world.queueUrl,
      TUNNELOPS_SNS_TOPIC_ARNS: world.sites.map((s) => s.topicArn).join(','),
      SLACK_BOT_TOKEN: 'xoxb-moto-test-token',
      SLACK_SIGNING_SECRET: 'moto-test-signing-secret',
      SLACK_API_URL: slackApiUrl,
    });
    app = await createApp({
      env,
      topology: world.topology,
      log: silentLogger(),
    });
  }, 60_000);

  beforeEach(() => {
    // SNS signs with a certificate served from sns.<region>.amazonaws.com; moto serves the one it signed
    // with at its own endpoint. Only that hostname is redirected: the signature check itself is the real one.
    nock('https://sns.us-east-1.amazonaws.com')
      .persist()
      .get(/^\/SimpleNotificationService-[0-9a-f]+\.pem$/)
      .reply(async (uri) => {
        const pem = await motoPem(moto.endpoint, uri);
        return [pem.status, pem.body, { 'content-type': 'application/x-x509-ca-cert' }];
      });
  });

  afterAll(async () => {
    await app?.stop();
    await slack?.stop();
    c?.destroy();
    await moto?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.env = savedEnv;
  });

  it('posts the alarm to the site channel, then deletes it from the queue', async () => {
    const name = alarmName('dc1', 'primary', 'down');
    const { message } = await alarmNotification(
      c.cloudwatch,
      name,
      'ALARM',
      'Threshold Crossed: 2 out of the last 2 datapoints were less than the threshold (1.0).',
    );
    // No Subject: moto leaves it out of the string it signs (real SNS signs it), so a subject would not verify.
    await c.sns.send(new PublishCommand({ TopicArn: world.sites[0]!.topicArn, Message: message }));

    const posted = await until(
      'the alarm in #dc1',
      async () => slack.callsTo('chat.postMessage').filter((m) => m.args.channel === 'C0MOTO0001'),
      (m) => m.some((x) => JSON.stringify(x.args).includes(name)),
    );
    expect(JSON.stringify(posted.at(-1)!.args)).toContain('ALARM');
    // Deleted only after Slack showed it: nothing left in moto's queue, visible or in flight, nothing redriven.
    await until(
      'the queue to be empty',
      () => queueDepth(world.queueUrl),
      (n) => n === 0,
    );
    expect(await queueDepth(world.dlqUrl)).toBe(0);
  }, 40_000);

  it('leaves a tampered SNS envelope in the queue and posts nothing', async () => {
    const postsBefore = slack.callsTo('chat.postMessage').length;
    const genuine = (
      await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: captureUrl, WaitTimeSeconds: 5 }))
    ).Messages?.[0]?.Body;
    expect(genuine).toBeDefined();
    const envelope = JSON.parse(genuine!) as { Message: string };
    // The same signed envelope, its alarm turned to OK: the signature no longer matches.
    const tampered = {
      ...envelope,
      Message: envelope.Message.replace('"NewStateValue":"ALARM"', '"NewStateValue":"OK"'),
    };
    expect(tampered.Message).not.toBe(envelope.Message);
    await c.sqs.send(
      new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: JSON.stringify(tampered) }),
    );
    // The consumer receives it (in flight) and leaves it for redelivery and, after 5 receives, the DLQ.
    await until(
      'the tampered message to be received',
      () => inFlight(world.queueUrl),
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await queueDepth(world.queueUrl)).toBe(1);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(postsBefore);
  }, 40_000);
});
