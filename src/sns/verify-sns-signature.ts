import { type KeyObject, verify } from 'node:crypto';
import type { SnsMessage } from './sns-message.js';

/** SNS's own hosts only: anything else could hand us a certificate of the attacker's choosing. */
const SNS_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

const isSnsHost = (hostname: string): boolean => SNS_HOST.test(hostname);

/** Null when the URL may be fetched; otherwise why not. */
export function checkSnsUrl(value: string, kind: 'cert' | 'subscribe'): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${kind} URL is not a URL`;
  }
  if (url.protocol !== 'https:') return `${kind} URL is not https`;
  if (url.username || url.password || url.port) return `${kind} URL has credentials or a port`;
  if (!isSnsHost(url.hostname)) return `${kind} URL host ${url.hostname.slice(0, 80)} is not an SNS host`;
  if (kind === 'cert' && !url.pathname.endsWith('.pem')) return 'cert URL path does not end in .pem';
  return null;
}

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_KEYS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

/** `Key\nValue\n` for each signed field in SNS's fixed order; Subject only when present. */
export function stringToSign(message: SnsMessage): string {
  const fields = message as unknown as Record<string, string | undefined>;
  const keys = message.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  let out = '';
  for (const key of keys) {
    const value = fields[key];
    if (value === undefined) continue;
    out += `${key}\n${value}\n`;
  }
  return out;
}

/** SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA. */
export const signatureAlgorithm = (version: '1' | '2'): string =>
  version === '1' ? 'RSA-SHA1' : 'RSA-SHA256';

export function verifySnsSignature(message: SnsMessage, publicKey: KeyObject): boolean {
  const signature = Buffer.from(message.Signature, 'base64');
  if (signature.length === 0) return false;
  try {
    return verify(
      signatureAlgorithm(message.SignatureVersion),
      Buffer.from(stringToSign(message), 'utf8'),
      publicKey,
      signature,
    );
  } catch {
    return false;
  }
}
