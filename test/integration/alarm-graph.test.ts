import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import {
  CERT_HOST,
  CERT_PATH,
  cloudWatchAlarm,
  makeTestPki,
  signedNotification,
  type TestPki,
  TOPIC_ARN,
} from '../unit/sns/sns-pki.js';

let pki: TestPki;
let app: TestApp;
beforeAll(() => {
  pki = makeTestPki();
});
afterEach(async () => {
  await app.ctx.services.alarms.publisher.drain(10_000);
  await app.close();
});

describe('alarm health graph', () => {
  it('is uploaded with the bot token into the alarm message thread', async () => {
    app = await startTestApp({ env: { TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN } });
    nock(CERT_HOST).get(CERT_PATH).reply(200, pki.certPem);
    const name = 'tunnelops-dc1-primary-down';
    const body = signedNotification(pki, {
      message: cloudWatchAlarm({ name, state: 'ALARM' }),
      subject: `ALARM: "${name}"`,
    });
    const res = await fetch(`${app.url}/sns`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-amz-sns-message-type': 'Notification',
        'x-amz-sns-topic-arn': TOPIC_ARN,
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!app.slackStandin?.callsTo('files.completeUploadExternal').length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [post] = app.slackStandin!.callsTo('chat.postMessage');
    const [done] = app.slackStandin!.callsTo('files.completeUploadExternal');
    expect(done?.args).toMatchObject({ channel_id: 'C0SANDBOX1', thread_ts: post?.ts });
    expect(JSON.stringify(done?.args.files)).toContain('dc1 tunnel health');
    // The sandbox has no GetMetricWidgetImage: the graph is drawn from its probe series.
    const [png] = [...(app.slackStandin?.uploads.values() ?? [])];
    expect(png?.subarray(1, 4).toString('ascii')).toBe('PNG');
  });
});
