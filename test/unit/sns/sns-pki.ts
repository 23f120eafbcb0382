import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signSnsMessage } from '../../../src/sns/sign-sns-message.js';

/**
 * Test PKI made at test time (never committed): a CA, a signing certificate it issued, and a rogue
 * self-signed certificate. Keys come from node:crypto; node cannot write X.509, so the openssl CLI does.
 */
export interface TestPki {
  caPem: string;
  certPem: string;
  keyPem: string;
  rogueCertPem: string;
  rogueKeyPem: string;
}

function key(dir: string, name: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(dir, `${name}.key`), pem, { mode: 0o600 });
  return pem;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-sns-pki-'));
  try {
    key(dir, 'ca');
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=tunnelops test CA',
    ]);
    const keyPem = key(dir, 'signer');
    openssl(dir, [
      'req',
      '-new',
      '-key',
      'signer.key',
      '-out',
      'signer.csr',
      '-subj',
      '/CN=sns.amazonaws.com',
    ]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'signer.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'signer.pem',
      '-days',
      '1',
    ]);
    const rogueKeyPem = key(dir, 'rogue');
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-key',
      'rogue.key',
      '-out',
      'rogue.pem',
      '-days',
      '1',
      '-subj',
      '/CN=sns.amazonaws.com',
    ]);
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      certPem: readFileSync(join(dir, 'signer.pem'), 'utf8'),
      keyPem,
      rogueCertPem: readFileSync(join(dir, 'rogue.pem'), 'utf8'),
      rogueKeyPem,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:tunnelops-alarms';
export const OTHER_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:someone-elses-topic';
export const CERT_HOST = 'https://sns.us-east-1.amazonaws.com';
export const CERT_PATH = '/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';
export const CERT_URL = `${CERT_HOST}${CERT_PATH}`;

let seq = 0;
export const messageId = (): string => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

export interface NotificationOptions {
  message: string;
  subject?: string;
  topicArn?: string;
  version?: '1' | '2';
  timestamp?: string;
  certUrl?: string;
  id?: string;
  keyPem?: string;
}

/** A signed SNS Notification body, as SNS POSTs it. */
export function signedNotification(pki: TestPki, o: NotificationOptions): Record<string, string> {
  const topic = o.topicArn ?? TOPIC_ARN;
  return signSnsMessage(
    {
      Type: 'Notification',
      MessageId: o.id ?? messageId(),
      TopicArn: topic,
      ...(o.subject !== undefined ? { Subject: o.subject } : {}),
      Message: o.message,
      Timestamp: o.timestamp ?? new Date().toISOString(),
      SignatureVersion: o.version ?? '2',
      SigningCertURL: o.certUrl ?? CERT_URL,
      UnsubscribeURL: `${CERT_HOST}/?Action=Unsubscribe&SubscriptionArn=${topic}:0b1c2d3e`,
    },
    o.keyPem ?? pki.keyPem,
  ) as unknown as Record<string, string>;
}

/** A signed SubscriptionConfirmation / UnsubscribeConfirmation body. */
export function signedConfirmation(
  pki: TestPki,
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  o: { topicArn?: string; subscribeUrl?: string; version?: '1' | '2' } = {},
): Record<string, string> {
  const topic = o.topicArn ?? TOPIC_ARN;
  const token = `2336412f37fb687f5d51e6e2425c464de${String(++seq).padStart(6, '0')}`;
  return signSnsMessage(
    {
      Type: type,
      MessageId: messageId(),
      Token: token,
      TopicArn: topic,
      Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL:
        o.subscribeUrl ??
        `${CERT_HOST}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=${token}`,
      Timestamp: new Date().toISOString(),
      SignatureVersion: o.version ?? '1',
      SigningCertURL: CERT_URL,
    },
    pki.keyPem,
  ) as unknown as Record<string, string>;
}

/** A CloudWatch alarm notification Message (the shape of AWS's documented example) for a tunnelops alarm. */
export function cloudWatchAlarm(o: {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  old?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  time?: string;
  site?: string;
  tunnel?: string;
}): string {
  const time = (o.time ?? new Date().toISOString()).replace('Z', '+0000');
  return JSON.stringify({
    AlarmName: o.name,
    AlarmDescription: 'tunnel probe loss',
    AWSAccountId: '123456789012',
    NewStateValue: o.state,
    NewStateReason: `Threshold Crossed: 2 out of the last 2 datapoints were ${o.state === 'ALARM' ? 'less' : 'not less'} than the threshold (1.0).`,
    StateChangeTime: time,
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${o.name}`,
    OldStateValue: o.old ?? (o.state === 'ALARM' ? 'OK' : 'ALARM'),
    Trigger: {
      MetricName: 'TunnelUp',
      Namespace: 'TunnelOps',
      StatisticType: 'Statistic',
      Statistic: 'MINIMUM',
      Unit: null,
      Dimensions: [
        ...(o.site ? [{ value: o.site, name: 'Site' }] : []),
        ...(o.tunnel ? [{ value: o.tunnel, name: 'Tunnel' }] : []),
      ],
      Period: 10,
      EvaluationPeriods: 2,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1.0,
      TreatMissingData: 'breaching',
    },
  });
}
