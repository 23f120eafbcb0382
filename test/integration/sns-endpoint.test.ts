import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { NS_SEEN } from '../../src/services/alarms/alarm-service.js';
import { NS_ALARM } from '../../src/services/alarms/alarm-state-store.js';
import { shownAlarmStates } from '../../src/slack/views/alarm-view.js';
import { captureLog } from '../helpers/capture-log.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import {
  CERT_HOST,
  CERT_PATH,
  cloudWatchAlarm,
  makeTestPki,
  OTHER_TOPIC_ARN,
  signedConfirmation,
  signedNotification,
  type TestPki,
  TOPIC_ARN,
} from '../unit/sns/sns-pki.js';

let pki: TestPki;
let app: TestApp;
let logs: ReturnType<typeof captureLog>;
/** Why the last message was refused: in the log only (the caller gets a request id). */
const loggedReason = (): string =>
  String(logs.lines.filter((l) => l.msg === 'rejected SNS message').at(-1)?.reason);

beforeAll(() => {
  pki = makeTestPki();
});
beforeEach(async () => {
  logs = captureLog();
  app = await startTestApp({
    log: logs.log,
    env: { TUNNELOPS_SNS_TOPIC_ARNS: `${TOPIC_ARN}, arn:aws:sns:us-east-1:123456789012:spare` },
  });
});
afterEach(async () => {
  await app.ctx.services.alarms.publisher.drain(10_000);
  await app.close();
});

const nockCert = () => nock(CERT_HOST).get(CERT_PATH).once().reply(200, pki.certPem);

async function postSns(
  body: unknown,
  type?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const b = body as Record<string, string>;
  const res = await fetch(`${app.url}/sns`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': type ?? b.Type ?? 'Notification',
      'x-amz-sns-message-id': b.MessageId ?? '',
      // SNS names the topic on every delivery; an unparsable body still comes from the allowed topic here.
      'x-amz-sns-topic-arn': b.TopicArn ?? TOPIC_ARN,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const alarmBody = (name = 'tunnelops-dc1-primary-down', state: 'ALARM' | 'OK' = 'ALARM', extra = {}) =>
  signedNotification(pki, {
    message: cloudWatchAlarm({ name, state }),
    subject: `${state}: "${name}" in US East (N. Virginia)`,
    ...extra,
  });

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Nothing was applied: no alarm state, no dedupe key, nothing for Slack. */
async function expectNothingChanged(): Promise<void> {
  expect(await app.ctx.store.list(NS_ALARM)).toEqual([]);
  expect(await app.ctx.store.list(NS_SEEN)).toEqual([]);
  expect(app.ctx.services.alarms.records.size).toBe(0);
  expect(app.ctx.services.alarms.publisher.idle()).toBe(true);
  expect(app.slackStandin?.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
}

const slackPosts = () => app.slackStandin?.callsTo('chat.postMessage') ?? [];

describe('POST /sns with signatures checked against a test-time CA', () => {
  it('accepts valid SignatureVersion 1 and 2 notifications, fetches the certificate once, and posts the alarms', async () => {
    const cert = nockCert();
    const v1 = await postSns(alarmBody('tunnelops-dc1-primary-down', 'ALARM', { version: '1' }));
    const v2 = await postSns(alarmBody('tunnelops-dc1-secondary-down', 'ALARM', { version: '2' }));
    expect(v1).toEqual({ status: 200, json: { status: 'accepted' } });
    expect(v2).toEqual({ status: 200, json: { status: 'accepted' } });
    expect(cert.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
    await waitFor(() => slackPosts().length === 2, 'two alarm posts');
    const shown = new Map<string, string>();
    for (const m of app.slackStandin!.messages.values())
      for (const [k, v] of shownAlarmStates(m)) shown.set(k, v);
    expect(shown).toEqual(
      new Map([
        ['tunnelops-dc1-primary-down', 'ALARM'],
        ['tunnelops-dc1-secondary-down', 'ALARM'],
      ]),
    );
    expect(slackPosts()[0]?.args.channel).toBe('C0SANDBOX1');
  });

  it('ignores a duplicate or replayed delivery: 200, no second Slack call', async () => {
    nockCert();
    const body = alarmBody();
    expect((await postSns(body)).json).toEqual({ status: 'accepted' });
    await waitFor(() => slackPosts().length === 1, 'the alarm post');
    await app.ctx.services.alarms.publisher.drain();
    const calls = app.slackStandin!.calls.length;
    expect(await postSns(body)).toEqual({ status: 200, json: { status: 'duplicate' } });
    expect(await postSns(body)).toEqual({ status: 200, json: { status: 'duplicate' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(app.ctx.services.alarms.publisher.idle()).toBe(true);
    expect(app.slackStandin!.calls.length).toBe(calls);
  });

  it('rejects a tampered body with 403 and changes nothing', async () => {
    const cert = nockCert();
    const body = {
      ...alarmBody(),
      Message: cloudWatchAlarm({ name: 'tunnelops-dc1-primary-down', state: 'OK' }),
    };
    expect(await postSns(body)).toEqual({
      status: 403,
      json: { error: 'rejected', requestId: expect.any(String) },
    });
    expect(loggedReason()).toBe('signature does not verify');
    expect(cert.isDone()).toBe(true);
    await expectNothingChanged();
  });

  it('rejects a body signed by a key other than the certificate’s', async () => {
    nockCert();
    const r = await postSns(
      signedNotification(pki, {
        message: cloudWatchAlarm({ name: 'x', state: 'ALARM' }),
        keyPem: pki.rogueKeyPem,
      }),
    );
    expect(r.status).toBe(403);
    await expectNothingChanged();
  });

  it('rejects a topic that is not allowed, before fetching any certificate', async () => {
    const cert = nockCert();
    const r = await postSns(alarmBody('tunnelops-dc1-primary-down', 'ALARM', { topicArn: OTHER_TOPIC_ARN }));
    expect(r.status).toBe(403);
    expect(loggedReason()).toContain('not in TUNNELOPS_SNS_TOPIC_ARNS');
    expect(cert.isDone()).toBe(false);
    await expectNothingChanged();
  });

  it.each([
    [
      'a host outside SNS',
      'https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-x.pem',
      /not an SNS host/,
    ],
    ['plain http', `http://sns.us-east-1.amazonaws.com${CERT_PATH}`, /not https/],
    [
      'a path not ending in .pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem.exe',
      /\.pem/,
    ],
  ])('rejects a signing certificate URL on %s', async (_what, certUrl, reason) => {
    const rogue = nock(/attacker\.example|amazonaws\.com/)
      .get(/.*/)
      .reply(200, pki.rogueCertPem);
    const r = await postSns(alarmBody('tunnelops-dc1-primary-down', 'ALARM', { certUrl }));
    expect(r.status).toBe(403);
    expect(loggedReason()).toMatch(reason);
    expect(rogue.isDone()).toBe(false);
    await expectNothingChanged();
  });

  it('rejects a stale message (an old, validly signed replay) with 400', async () => {
    const cert = nockCert();
    const r = await postSns(
      alarmBody('tunnelops-dc1-primary-down', 'ALARM', {
        timestamp: new Date(Date.now() - 2 * 3600_000).toISOString(),
      }),
    );
    expect(r.status).toBe(400);
    expect(loggedReason()).toContain('stale');
    expect(cert.isDone()).toBe(false);
    await expectNothingChanged();
  });

  it('rejects malformed bodies and a type header that contradicts the body with 400', async () => {
    expect((await postSns('not json')).status).toBe(400);
    expect((await postSns({ Type: 'Notification' })).status).toBe(400);
    expect((await postSns(alarmBody(), 'SubscriptionConfirmation')).status).toBe(400);
    await expectNothingChanged();
  });

  it('answers 403 when the certificate URL does not serve a certificate', async () => {
    nock(CERT_HOST).get(CERT_PATH).reply(404, '<Error/>');
    const r = await postSns(alarmBody());
    expect(r.status).toBe(403);
    await expectNothingChanged();
  });
});

describe('POST /sns subscription handling', () => {
  it('confirms a subscription to an allowed topic by visiting SubscribeURL', async () => {
    nockCert();
    const body = signedConfirmation(pki, 'SubscriptionConfirmation');
    const subscribe = nock(CERT_HOST)
      .get('/')
      .query((q) => q.Action === 'ConfirmSubscription' && q.TopicArn === TOPIC_ARN && q.Token === body.Token)
      .reply(200, '<ConfirmSubscriptionResponse/>');
    expect(await postSns(body)).toEqual({ status: 200, json: { status: 'confirmed' } });
    expect(subscribe.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('does not confirm a subscription to a topic that is not allowed', async () => {
    const cert = nockCert();
    const subscribe = nock(CERT_HOST).get('/').query(true).reply(200, 'confirmed');
    const r = await postSns(
      signedConfirmation(pki, 'SubscriptionConfirmation', { topicArn: OTHER_TOPIC_ARN }),
    );
    expect(r.status).toBe(403);
    expect(subscribe.isDone()).toBe(false);
    expect(cert.isDone()).toBe(false);
  });

  it('does not visit a SubscribeURL outside SNS, even when signed', async () => {
    nockCert();
    const elsewhere = nock('https://attacker.example').get(/.*/).reply(200, 'ok');
    const r = await postSns(
      signedConfirmation(pki, 'SubscriptionConfirmation', {
        subscribeUrl: 'https://attacker.example/?Action=ConfirmSubscription',
      }),
    );
    expect(r.status).toBe(403);
    expect(elsewhere.isDone()).toBe(false);
  });

  it('logs an unsubscribe confirmation and changes nothing', async () => {
    nockCert();
    const unsubscribe = nock(CERT_HOST).get('/').query(true).reply(200, 'x');
    expect(await postSns(signedConfirmation(pki, 'UnsubscribeConfirmation'))).toEqual({
      status: 200,
      json: { status: 'unsubscribed' },
    });
    expect(unsubscribe.isDone()).toBe(false);
    await expectNothingChanged();
  });
});

describe('POST /api/sandbox/alarm', () => {
  it('feeds an alarm into the sandbox without SNS, and refuses what is not an alarm', async () => {
    const post = (body: string) => fetch(`${app.url}/api/sandbox/alarm`, { method: 'POST', body });
    const ok = await post(cloudWatchAlarm({ name: 'tunnelops-dc1-secondary-down', state: 'ALARM' }));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ status: 'accepted' });
    await waitFor(() => slackPosts().length === 1, 'alarm post');
    expect((await post('hello')).status).toBe(400);
  });
});

describe('alarm buttons', () => {
  async function postedAlarm(): Promise<{ key: string; ts: string }> {
    nockCert();
    await postSns(alarmBody());
    await waitFor(() => slackPosts().length === 1, 'alarm post');
    const post = slackPosts()[0]!;
    const actions = (
      post.args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>
    ).find((b) => b.type === 'actions');
    const ack = actions?.elements?.find((e) => e.action_id === 'alarm_ack');
    return { key: ack!.value, ts: post.ts! };
  }

  const click = (actionId: string, value: string, ts: string, user = 'UONCALL1') =>
    app.slack.interaction({
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
      api_app_id: 'A0TUNNELOPS',
      token: 'deprecated-verification-token',
      container: { type: 'message', message_ts: ts, channel_id: 'C0SANDBOX1', is_ephemeral: false },
      trigger_id: `${Date.now()}.1234567890.abcdef`,
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      channel: { id: 'C0SANDBOX1', name: 'tunnelops' },
      message: { type: 'message', text: 'alarm', ts },
      state: { values: {} },
      response_url: app.slack.responseUrl,
      actions: [
        { action_id: actionId, block_id: 'x', type: 'button', value, action_ts: `${Date.now() / 1000}` },
      ],
    });

  it('Acknowledge records who, in the message and the audit log', async () => {
    const { key, ts } = await postedAlarm();
    expect((await click('alarm_ack', key, ts)).status).toBe(200);
    await waitFor(
      () =>
        JSON.stringify(app.slackStandin!.messages.get(`C0SANDBOX1:${ts}`)?.blocks).includes(
          'Acknowledged by <@UONCALL1>',
        ),
      'ack in message',
    );
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.some((e) => e.event === 'acknowledged' && e.actor === 'UONCALL1')).toBe(true);
  });

  /** Clicks Fail over on a posted alarm with `site` in the button's value; the clicker's ephemeral answer. */
  async function failOverAnswer(site: string) {
    const { key, ts } = await postedAlarm();
    expect((await click('alarm_failover', JSON.stringify({ site, key }), ts)).status).toBe(200);
    await waitFor(
      () => (app.slackStandin?.callsTo('chat.postEphemeral').length ?? 0) > 0,
      'ephemeral answer',
    );
    return app.slackStandin!.callsTo('chat.postEphemeral')[0]!;
  }

  it('Fail over hands off to the approval flow', async () => {
    const answer = await failOverAnswer('dc1');
    expect(answer.args.user).toBe('UONCALL1');
    expect(String(answer.args.text)).toContain('Failover of *dc1* requested');
    const audit = await app.ctx.store.listAudit({ site: 'dc1' });
    const requested = audit.find((e) => e.action === 'failover' && e.event === 'requested');
    expect(requested?.actor).toBe('UONCALL1');
  });

  it('a forged Fail over naming an unknown site is refused with the name escaped, and asks nobody', async () => {
    const answer = String((await failOverAnswer('<!channel>')).args.text);
    expect(answer).toBe(':warning: Unknown site "&lt;!channel&gt;". Sites: dc1.');
    const audit = await app.ctx.store.listAudit({});
    expect(audit.some((e) => e.event === 'requested')).toBe(false);
  });
});
