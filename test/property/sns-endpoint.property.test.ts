import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import nock from 'nock';
import { NS_SEEN } from '../../src/services/alarms/alarm-service.js';
import { NS_ALARM } from '../../src/services/alarms/alarm-state-store.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import {
  CERT_HOST,
  CERT_PATH,
  CERT_URL,
  cloudWatchAlarm,
  makeTestPki,
  OTHER_TOPIC_ARN,
  signedNotification,
  type TestPki,
  TOPIC_ARN,
} from '../unit/sns/sns-pki.js';

let pki: TestPki;
let app: TestApp;

beforeAll(async () => {
  pki = makeTestPki();
  app = await startTestApp({ env: { TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN } });
});
afterAll(async () => {
  await app.close();
});

/** SNS's host serves our certificate at CERT_PATH and 404s any other .pem path (as SNS does). */
function serveCerts(): void {
  nock(CERT_HOST).persist().get(CERT_PATH).reply(200, pki.certPem);
  nock(CERT_HOST)
    .persist()
    .get((p) => p !== CERT_PATH)
    .reply(404, '<Error><Code>NotFound</Code></Error>');
}

/** No alarm state, no dedupe key, no Slack call. */
async function expectNothingApplied(): Promise<void> {
  expect(await app.ctx.store.list(NS_ALARM)).toEqual([]);
  expect(await app.ctx.store.list(NS_SEEN)).toEqual([]);
  expect(app.ctx.services.alarms.records.size).toBe(0);
  expect(app.slackStandin?.calls).toEqual([]);
}

async function post(body: string): Promise<number> {
  const res = await fetch(`${app.url}/sns`, {
    method: 'POST',
    // The headers SNS sends, so each body reaches the checks made over it.
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-topic-arn': TOPIC_ARN,
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const is4xx = (status: number) => status >= 400 && status < 500;

const randomField = fc.oneof(fc.string(), fc.constant(''), fc.integer().map(String), fc.webUrl());
const plausibleBody = fc.record(
  {
    Type: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation', 'Other', ''),
    MessageId: fc.oneof(fc.uuid(), fc.string()),
    TopicArn: fc.oneof(fc.constantFrom(TOPIC_ARN, OTHER_TOPIC_ARN), fc.string()),
    Subject: fc.string(),
    Message: fc.oneof(
      fc.string(),
      fc.constant(cloudWatchAlarm({ name: 'tunnelops-dc1-primary-down', state: 'ALARM' })),
    ),
    Timestamp: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constant(new Date().toISOString()),
      fc.string(),
    ),
    SignatureVersion: fc.constantFrom('1', '2', '3', ''),
    Signature: fc.oneof(fc.base64String(), fc.string()),
    SigningCertURL: fc.oneof(
      fc.constant(CERT_URL),
      fc.constant('https://sns.us-east-1.amazonaws.com/other.pem'),
      fc.webUrl(),
      fc.string(),
    ),
    SubscribeURL: randomField,
    Token: fc.string(),
  },
  { requiredKeys: [] },
);

const randomBody = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  plausibleBody.map((b) => JSON.stringify(b)),
);

const SIGNED_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;

/** One mutation of a validly signed body; each one must make verification fail. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('edit' as const),
    field: fc.constantFrom(...SIGNED_FIELDS),
    insert: fc.string({ minLength: 1, maxLength: 3 }),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('drop' as const),
    field: fc.constantFrom(...SIGNED_FIELDS, 'Signature', 'SignatureVersion', 'SigningCertURL'),
  }),
  fc.record({
    kind: fc.constant('flipSignature' as const),
    byte: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('version' as const) }),
  fc.record({
    kind: fc.constant('certUrl' as const),
    url: fc.constantFrom(
      `http://sns.us-east-1.amazonaws.com${CERT_PATH}`,
      `https://sns.us-east-1.amazonaws.com.evil.example${CERT_PATH}`,
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem',
      `https://sns.us-east-1.amazonaws.com${CERT_PATH}.txt`,
      `https://evil.example${CERT_PATH}`,
    ),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(body: Record<string, string>, m: Mutation): Record<string, string> {
  const out = { ...body };
  switch (m.kind) {
    case 'edit': {
      const v = out[m.field] ?? '';
      const at = m.at % (v.length + 1);
      out[m.field] = `${v.slice(0, at)}${m.insert}${v.slice(at)}`;
      break;
    }
    case 'drop':
      delete out[m.field];
      break;
    case 'flipSignature': {
      const sig = Buffer.from(out.Signature ?? '', 'base64');
      const i = m.byte % sig.length;
      sig[i] = (sig[i] ?? 0) ^ (1 << m.bit);
      out.Signature = sig.toString('base64');
      break;
    }
    case 'version':
      out.SignatureVersion = out.SignatureVersion === '1' ? '2' : '1';
      break;
    case 'certUrl':
      out.SigningCertURL = m.url;
      break;
  }
  return out;
}

describe('POST /sns under random and mutated bodies', () => {
  it('answers 4xx to random bodies, never crashes, and never calls Slack', async () => {
    serveCerts();
    await fc.assert(
      fc.asyncProperty(randomBody, async (body) => {
        expect(is4xx(await post(body))).toBe(true);
      }),
      { numRuns: 300 },
    );
    await expectNothingApplied();
  });

  it('answers 4xx to every single mutation of a validly signed notification', async () => {
    serveCerts();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('1', '2' as const), mutation, async (version, m) => {
        const body = signedNotification(pki, {
          message: cloudWatchAlarm({ name: 'tunnelops-dc1-primary-down', state: 'ALARM' }),
          subject: 'ALARM: "tunnelops-dc1-primary-down" in US East (N. Virginia)',
          version: version as '1' | '2',
        });
        const status = await post(JSON.stringify(mutate(body, m)));
        expect(is4xx(status)).toBe(true);
      }),
      { numRuns: 300 },
    );
    await expectNothingApplied();
  });

  it('left nothing behind: no alarm state, no dedupe key, no Slack call', async () => {
    // Longer than the publisher's gather delay, so a post would have happened by now.
    await new Promise((r) => setTimeout(r, 1800));
    await expectNothingApplied();
    // The server still works: a valid notification is accepted.
    serveCerts();
    expect(
      await post(
        JSON.stringify(signedNotification(pki, { message: cloudWatchAlarm({ name: 'x', state: 'OK' }) })),
      ),
    ).toBe(200);
  });
});
