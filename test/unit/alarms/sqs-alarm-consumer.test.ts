import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../src/aws/clients.js';
import { regionOfQueueUrl, SqsAlarmConsumer } from '../../../src/aws/sqs-alarm-consumer.js';
import { silentLogger } from '../../../src/log.js';
import type { Chat } from '../../../src/ports/chat.js';
import { SigningCertCache } from '../../../src/sns/signing-cert-cache.js';
import { SnsVerifier } from '../../../src/sns/sns-verifier.js';
import { createSqsBodyHandler } from '../../../src/sns/sqs-body-handler.js';
import { cloudWatchAlarm, makeTestPki, signedNotification, type TestPki, TOPIC_ARN } from '../sns/sns-pki.js';
import { errorsAgainst, type Kit, sitesTopology, startKit, topLevelPosts } from './alarm-test-kit.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/tunnelops-alarms';
const sqsMock = mockClient(SQSClient);
let pki: TestPki;
let kit: Kit | undefined;

beforeAll(() => {
  pki = makeTestPki();
});
afterEach(async () => {
  sqsMock.reset();
  await kit?.close();
  kit = undefined;
});

function consumerFor(k: Kit): SqsAlarmConsumer {
  const clients = new AwsClients({
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  const verifier = new SnsVerifier({
    allowedTopics: new Set([TOPIC_ARN]),
    certs: new SigningCertCache({ fetchPem: async () => pki.certPem }),
    clock: { now: () => Date.now() },
    maxAgeMs: 14 * 24 * 3600_000,
  });
  return new SqsAlarmConsumer({
    sqs: clients.sqs('us-east-1'),
    queueUrl: QUEUE,
    handle: createSqsBodyHandler({ verifier, alarms: k.service }),
    log: silentLogger(),
    waitTimeSeconds: 1,
  });
}

const sqsMessage = (n: number, body: string): Message => ({
  MessageId: `m-${n}`,
  ReceiptHandle: `rh-${n}`,
  Body: body,
});
const deleted = () => sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle);

/** A Chat that fails while `down` is true (Slack outage). */
function flaky(chat: Chat, state: { down: boolean }): Chat {
  const guard = <T>(fn: () => Promise<T>) => (state.down ? Promise.reject(new Error('slack is down')) : fn());
  return {
    render: chat.render,
    post: (c, m) => guard(() => chat.post(c, m)),
    update: (r, m) => guard(() => chat.update(r, m)),
    postEphemeral: (c, u, m) => guard(() => chat.postEphemeral(c, u, m)),
    uploadFile: (c, f) => guard(() => chat.uploadFile(c, f)),
    userGroupMembers: (g) => chat.userGroupMembers(g),
  };
}

describe('SqsAlarmConsumer', () => {
  it('reads the region of a queue URL', () => {
    expect(regionOfQueueUrl(QUEUE)).toBe('us-east-1');
    expect(regionOfQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/1/q')).toBe('cn-north-1');
    expect(regionOfQueueUrl('http://localhost:4566/000000000000/q')).toBeUndefined();
  });

  it('long-polls, verifies SNS envelopes, takes raw bodies, and deletes only once Slack shows the alarm', async () => {
    kit = await startKit(sitesTopology(2, (i) => `C0SITE${i}`));
    const envelope = signedNotification(pki, {
      message: cloudWatchAlarm({ name: 'tunnelops-site01-primary-down', state: 'ALARM' }),
    });
    const raw = cloudWatchAlarm({ name: 'tunnelops-site02-primary-down', state: 'ALARM' });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage(1, JSON.stringify(envelope)), sqsMessage(2, raw)] });
    sqsMock.on(DeleteMessageCommand).resolves({});
    const consumer = consumerFor(kit);
    await consumer.pollOnce();
    expect(deleted().sort()).toEqual(['rh-1', 'rh-2']);
    expect(topLevelPosts(kit.standin)).toHaveLength(2);
    expect(
      errorsAgainst(
        kit.standin,
        new Map([
          ['tunnelops-site01-primary-down', 'ALARM'],
          ['tunnelops-site02-primary-down', 'ALARM'],
        ]),
      ),
    ).toEqual([]);
    const receive = sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toMatchObject({ QueueUrl: QUEUE, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 });
  });

  it('leaves a message in the queue while Slack fails, and deletes the redelivery once Slack is back', async () => {
    const slack = { down: true };
    kit = await startKit(sitesTopology(1), { wrapChat: (c) => flaky(c, slack) });
    const body = JSON.stringify(
      signedNotification(pki, {
        message: cloudWatchAlarm({ name: 'tunnelops-site01-primary-down', state: 'ALARM' }),
      }),
    );
    sqsMock.on(DeleteMessageCommand).resolves({});
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage(1, body)] })
      .resolvesOnce({ Messages: [sqsMessage(2, body)] });
    const consumer = consumerFor(kit);
    await consumer.pollOnce();
    expect(deleted()).toEqual([]);
    expect(consumer.stats).toMatchObject({ received: 1, deleted: 0, left: 1 });
    slack.down = false;
    await consumer.pollOnce(); // SQS redelivers after the visibility timeout: a duplicate, but not yet shown
    expect(deleted()).toEqual(['rh-2']);
    expect(errorsAgainst(kit.standin, new Map([['tunnelops-site01-primary-down', 'ALARM']]))).toEqual([]);
  });

  it('leaves bodies that fail verification or are not JSON, for the dead-letter queue', async () => {
    kit = await startKit(sitesTopology(1));
    const good = signedNotification(pki, {
      message: cloudWatchAlarm({ name: 'tunnelops-site01-primary-down', state: 'ALARM' }),
    });
    const tampered = {
      ...good,
      Message: cloudWatchAlarm({ name: 'tunnelops-site01-primary-down', state: 'OK' }),
    };
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage(1, JSON.stringify(tampered)), sqsMessage(2, 'hello')] });
    const consumer = consumerFor(kit);
    await consumer.pollOnce();
    expect(deleted()).toEqual([]);
    expect(kit.service.records.size).toBe(0);
  });

  it('keeps polling after a failed ReceiveMessage and stops cleanly', async () => {
    kit = await startKit(sitesTopology(1));
    sqsMock.on(ReceiveMessageCommand).rejectsOnce(new Error('throttled')).resolves({ Messages: [] });
    const consumer = new SqsAlarmConsumer({
      sqs: new AwsClients({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } }).sqs(
        'us-east-1',
      ),
      queueUrl: QUEUE,
      handle: async () => 'done',
      log: silentLogger(),
      errorBackoffMs: 10,
      idleBackoffMs: 10,
    });
    consumer.start();
    const deadline = Date.now() + 5000;
    while (sqsMock.commandCalls(ReceiveMessageCommand).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    expect(sqsMock.commandCalls(ReceiveMessageCommand).length).toBeGreaterThanOrEqual(3);
  });
});
