import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseSnsMessage, type SnsMessage } from '../../../src/sns/sns-message.js';
import { checkSnsUrl, stringToSign, verifySnsSignature } from '../../../src/sns/verify-sns-signature.js';
import { makeTestPki, signedConfirmation, signedNotification, type TestPki } from './sns-pki.js';

const fixture = (name: string) => readFileSync(`test/fixtures/sns/${name}`, 'utf8');
const parse = (body: unknown): SnsMessage => {
  const r = parseSnsMessage(typeof body === 'string' ? body : JSON.stringify(body));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
};

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
const key = () => new X509Certificate(pki.certPem).publicKey;

describe('stringToSign', () => {
  it('lists a notification in SNS order, Subject included when present', () => {
    const m = parse(fixture('notification.json'));
    expect(stringToSign(m)).toBe(
      'Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n' +
        'Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n',
    );
  });

  it('leaves Subject out when absent and never signs UnsubscribeURL or SigningCertURL', () => {
    const m = parse({ ...JSON.parse(fixture('notification.json')), Subject: undefined });
    const s = stringToSign(m);
    expect(s).not.toContain('Subject');
    expect(s).not.toContain('UnsubscribeURL');
    expect(s).not.toContain('SigningCertURL');
  });

  it('lists a subscription confirmation with SubscribeURL and Token', () => {
    const m = parse(fixture('subscription-confirmation.json'));
    const f = m as unknown as Record<string, string>;
    const order = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    expect(stringToSign(m)).toBe(order.map((k) => `${k}\n${f[k]}\n`).join(''));
  });
});

describe('checkSnsUrl', () => {
  it.each([
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
  ])('accepts %s', (url) => expect(checkSnsUrl(url, 'cert')).toBeNull());

  it.each([
    ['http://sns.us-east-1.amazonaws.com/x.pem', /not https/],
    ['https://sns.us-east-1.amazonaws.com.evil.example/x.pem', /not an SNS host/],
    ['https://evil.example/sns.us-east-1.amazonaws.com.pem', /not an SNS host/],
    ['https://sqs.us-east-1.amazonaws.com/x.pem', /not an SNS host/],
    ['https://sns.us.amazonaws.com/x.pem', /not an SNS host/],
    ['https://sns.us-east-1.amazonaws.com/x.pem.txt', /\.pem/],
    ['https://sns.us-east-1.amazonaws.com:8443/x.pem', /port/],
    ['https://user:pw@sns.us-east-1.amazonaws.com/x.pem', /credentials/],
    ['not a url', /not a URL/],
  ])('refuses %s', (url, reason) => expect(checkSnsUrl(url, 'cert')).toMatch(reason));
});

describe('verifySnsSignature', () => {
  it.each(['1', '2'] as const)('accepts SignatureVersion %s signed by the certificate key', (version) => {
    const body = signedNotification(pki, { message: 'hello', subject: 'ALARM: x', version });
    expect(verifySnsSignature(parse(body), key())).toBe(true);
  });

  it('accepts a signed subscription confirmation', () => {
    expect(verifySnsSignature(parse(signedConfirmation(pki, 'SubscriptionConfirmation')), key())).toBe(true);
  });

  it.each([
    ['Message', 'hello!'],
    ['Subject', 'OK: x'],
    ['Timestamp', '2030-01-01T00:00:00.000Z'],
    ['TopicArn', 'arn:aws:sns:us-east-1:123456789012:other'],
    ['MessageId', '00000000-0000-4000-8000-999999999999'],
  ])('refuses a body whose %s was changed after signing', (field, value) => {
    const body = { ...signedNotification(pki, { message: 'hello', subject: 'ALARM: x' }), [field]: value };
    expect(verifySnsSignature(parse(body), key())).toBe(false);
  });

  it('refuses a v2 signature presented as v1 and a signature by another key', () => {
    const v2 = signedNotification(pki, { message: 'hello', version: '2' });
    expect(verifySnsSignature(parse({ ...v2, SignatureVersion: '1' }), key())).toBe(false);
    const rogue = signedNotification(pki, { message: 'hello', keyPem: pki.rogueKeyPem });
    expect(verifySnsSignature(parse(rogue), key())).toBe(false);
    expect(verifySnsSignature(parse(rogue), createPublicKey(pki.rogueCertPem))).toBe(true);
  });

  it('refuses an empty or non-base64 signature without throwing', () => {
    const body = signedNotification(pki, { message: 'hello' });
    expect(verifySnsSignature(parse({ ...body, Signature: '!!!' }), key())).toBe(false);
  });
});

describe('parseSnsMessage', () => {
  it('parses the documented examples', () => {
    expect(parse(fixture('notification.json')).Type).toBe('Notification');
    expect(parse(fixture('subscription-confirmation.json')).Type).toBe('SubscriptionConfirmation');
  });

  it.each([
    ['not json', /not (valid )?JSON/],
    ['[]', /not an SNS message/],
    ['{"Type":"Notification"}', /not an SNS message/],
    [
      JSON.stringify({ ...JSON.parse(fixture('notification.json')), SignatureVersion: '3' }),
      /SignatureVersion/,
    ],
    [JSON.stringify({ ...JSON.parse(fixture('notification.json')), Type: 'Other' }), /Type/],
  ])('refuses %s', (body, reason) => {
    const r = parseSnsMessage(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
