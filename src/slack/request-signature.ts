import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../domain/errors.js';
import type { AuthCheck } from '../http/server.js';
import type { Clock } from '../ports/clock.js';

const MAX_SKEW_S = 5 * 60;

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` (Slack's request signing). */
export function signSlackRequest(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`;
}

/**
 * What the headers of a Slack request must show before its body is worth reading: a signature and a
 * timestamp within 5 minutes. Throws UnauthorizedError; returns the timestamp and signature.
 */
export function checkSlackHeaders(
  headers: IncomingHttpHeaders,
  nowMs: number,
): { ts: number; signature: string } {
  const signature = headers['x-slack-signature'];
  const tsHeader = headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || typeof tsHeader !== 'string') {
    throw new UnauthorizedError('missing X-Slack-Signature or X-Slack-Request-Timestamp');
  }
  // Slack sends plain decimal seconds; `0x...`, `1e9`, `<ts>.000` or padding are not Slack.
  if (!/^[1-9]\d{0,11}$/.test(tsHeader))
    throw new UnauthorizedError('X-Slack-Request-Timestamp is not plain decimal seconds');
  const ts = Number(tsHeader);
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S)
    throw new UnauthorizedError('stale request: timestamp more than 5 minutes off');
  return { ts, signature };
}

/** The route option for POST /slack/events: the header part of the check, before the body is read. */
export const slackHeaderCheck =
  (clock: Clock): AuthCheck =>
  (head) => {
    checkSlackHeaders(head.headers, clock.now());
  };

/** Throws UnauthorizedError unless the request is signed with the secret within 5 minutes of now. */
export function verifySlackRequest(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowMs: number,
): void {
  const { ts, signature } = checkSlackHeaders(headers, nowMs);
  const expected = Buffer.from(signSlackRequest(secret, ts, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UnauthorizedError('signature mismatch');
  }
}
