import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { signSlackRequest } from '../../src/slack/request-signature.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
const crashes: unknown[] = [];
const onCrash = (err: unknown) => crashes.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  app = await startTestApp();
});

afterAll(async () => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  await app.close();
});

const FIELDS = [
  'command',
  'text',
  'user_id',
  'channel_id',
  'team_id',
  'response_url',
  'trigger_id',
  'type',
  'payload',
  'ssl_check',
  'challenge',
  'token',
  'api_app_id',
  'is_enterprise_install',
  'enterprise_id',
];
const TYPES = [
  'block_actions',
  'view_submission',
  'view_closed',
  'shortcut',
  'message_action',
  'block_suggestion',
  'interactive_message',
  'dialog_submission',
  'event_callback',
  'url_verification',
  'app_rate_limited',
];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
];

/** Values Slack would send for a field, plus nonsense. */
const fieldValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '/vpn',
    '/deploy',
    'status',
    'status dc1',
    'help',
    'failover dc1',
    'history',
    'UONCALL1',
    'C0SANDBOX1',
    'true',
    'false',
    '1',
    'http://127.0.0.1:1/nowhere',
    'https://hooks.slack.com/commands/T0/1/x',
  ),
  fc.json(),
);

const anyObject = fc.dictionary(
  fc.oneof(
    fc.constantFrom(...FIELDS, 'actions', 'view', 'user', 'team', 'event', 'callback_id'),
    fc.string(),
  ),
  fc.jsonValue(),
  { maxKeys: 8 },
);

/** A JSON payload shaped like an interaction or event: a known type and random everything else. */
const payloadLike = fc
  .tuple(fc.constantFrom(...TYPES), anyObject, fc.option(fc.array(anyObject, { maxLength: 3 })))
  .map(([type, rest, actions]) => JSON.stringify({ ...rest, type, ...(actions ? { actions } : {}) }));

const formBody = fc
  .tuple(
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), fieldValue, { maxKeys: 10 }),
    fc.option(fc.oneof(payloadLike, fc.string(), fc.json())),
  )
  .map(([fields, payload]) => {
    const form = new URLSearchParams(fields);
    if (payload !== null) form.set('payload', payload);
    return form.toString();
  });

const jsonBody = fc.oneof(
  fc.json(),
  payloadLike,
  anyObject.map((o) => JSON.stringify(o)),
);
const body = fc.oneof(formBody, jsonBody, fc.string(), fc.string({ unit: 'binary' }));
const contentType = fc.oneof(
  fc.constantFrom(...CONTENT_TYPES),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)),
);

async function post(raw: string, type: string, sign: 'good' | 'bad' | 'none') {
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': type };
  if (sign !== 'none') {
    headers['x-slack-request-timestamp'] = String(ts);
    headers['x-slack-signature'] = signSlackRequest(
      sign === 'good' ? app.signingSecret : 'not-the-secret',
      ts,
      raw,
    );
  }
  const res = await fetch(`${app.url}/slack/events`, { method: 'POST', headers, body: raw });
  return { status: res.status, text: await res.text() };
}

describe('POST /slack/events with random bodies (property)', () => {
  it('answers every signed body with 2xx or 4xx, never 5xx, and never crashes', async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (raw, type) => {
        const res = await post(raw, type, 'good');
        const ok = (res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500);
        if (!ok)
          throw new Error(
            `HTTP ${res.status} for ${type} ${JSON.stringify(raw).slice(0, 300)}: ${res.text.slice(0, 200)}`,
          );
        if (res.status >= 400) expect(JSON.parse(res.text)).toHaveProperty('error');
      }),
      { numRuns: 200 },
    );
    expect(crashes).toEqual([]);
    // Still serving, and still answering a real command.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const before = app.slack.received.length;
    expect((await app.slack.command('status', 'UONCALL1')).status).toBe(200);
    const replies = await app.slack.waitForReplies(before + 1);
    expect(replies.at(-1)?.text).toMatch(/^dc1: active primary/);
  });

  it('answers every well-formed /vpn command with 200 and a reply, in the ack or at the response_url', async () => {
    const verb = fc.constantFrom('status', 'history', 'help', 'cancel', 'STATUS', '', 'bogus');
    const arg = fc.oneof(
      fc.constantFrom('dc1', 'dc9', 'primary', '"quoted reason"', '--to', 'r-1234'),
      fc.string({ maxLength: 20 }),
    );
    const text = fc.tuple(verb, fc.array(arg, { maxLength: 3 })).map(([v, args]) => [v, ...args].join(' '));
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('UONCALL1', 'UAPPROVER1', 'W0GUEST'), async (t, user) => {
        const before = app.slack.received.length;
        const ack = await app.slack.command(t, user);
        expect(ack.status).toBe(200);
        if (ack.body?.text) return;
        const replies = await app.slack.waitForReplies(before + 1, 5000);
        expect(replies.at(-1)?.text ?? '').not.toBe('');
      }),
      { numRuns: 100 },
    );
    expect(crashes).toEqual([]);
  });

  it('answers every unsigned or wrongly signed body with 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        fc.constantFrom('bad' as const, 'none' as const),
        async (raw, type, sign) => {
          expect((await post(raw, type, sign)).status).toBe(401);
        },
      ),
      { numRuns: 100 },
    );
  });
});
