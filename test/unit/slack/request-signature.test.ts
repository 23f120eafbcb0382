import { describe, expect, it } from '@jest/globals';
import { UnauthorizedError } from '../../../src/domain/errors.js';
import { signSlackRequest, verifySlackRequest } from '../../../src/slack/request-signature.js';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = Buffer.from('token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fvpn&text=status');
const now = 1_531_420_618_000;
const ts = now / 1000;

describe('Slack request signature', () => {
  it('matches the v0 HMAC-SHA256 scheme', () => {
    // Slack's documented example: secret, timestamp and body from api.slack.com/authentication/verifying-requests-from-slack
    const docBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(secret, 1531420618, docBody)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('accepts a correctly signed, fresh request', () => {
    const headers = {
      'x-slack-signature': signSlackRequest(secret, ts, body),
      'x-slack-request-timestamp': String(ts),
    };
    expect(() => verifySlackRequest(secret, headers, body, now)).not.toThrow();
  });

  it.each([
    ['missing headers', {}, 'missing'],
    [
      'wrong secret',
      { 'x-slack-signature': signSlackRequest('other', ts, body), 'x-slack-request-timestamp': String(ts) },
      'mismatch',
    ],
    [
      'stale timestamp',
      {
        'x-slack-signature': signSlackRequest(secret, ts - 301, body),
        'x-slack-request-timestamp': String(ts - 301),
      },
      'stale',
    ],
    [
      'future timestamp',
      {
        'x-slack-signature': signSlackRequest(secret, ts + 301, body),
        'x-slack-request-timestamp': String(ts + 301),
      },
      'stale',
    ],
    [
      'non-numeric timestamp',
      { 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': 'abc' },
      'not plain decimal seconds',
    ],
    [
      'truncated signature',
      { 'x-slack-signature': 'v0=abc', 'x-slack-request-timestamp': String(ts) },
      'mismatch',
    ],
  ])('rejects %s', (_name, headers, reason) => {
    expect(() => verifySlackRequest(secret, headers, body, now)).toThrow(UnauthorizedError);
    expect(() => verifySlackRequest(secret, headers, body, now)).toThrow(reason);
  });

  it('rejects a tampered body', () => {
    const headers = {
      'x-slack-signature': signSlackRequest(secret, ts, body),
      'x-slack-request-timestamp': String(ts),
    };
    expect(() => verifySlackRequest(secret, headers, Buffer.from(`${body}x`), now)).toThrow('mismatch');
  });
});
