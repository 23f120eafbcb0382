import { afterEach, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { fakeAccount } from '../unit/status/fake-account.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('POST /slack/events', () => {
  it('answers url_verification with the challenge and ssl_check with 200', async () => {
    app = await startTestApp();
    const challenge = await app.slack.post(
      JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }),
      'application/json',
    );
    expect(challenge).toEqual({ status: 200, body: { challenge: 'c-123' } });
    const ssl = await app.slack.post('ssl_check=1&token=t', 'application/x-www-form-urlencoded');
    expect(ssl.status).toBe(200);
  });

  it('rejects malformed bodies with 400 and a reason', async () => {
    app = await startTestApp();
    expect(await app.slack.post('{"a":1}', 'text/plain')).toMatchObject({
      status: 400,
      body: { error: 'bad_request' },
    });
    expect(await app.slack.post('[1,2]', 'application/json')).toMatchObject({
      status: 400,
      body: { message: 'body is not a JSON object' },
    });
    expect(await app.slack.post('payload=%7Bnope', 'application/x-www-form-urlencoded')).toMatchObject({
      status: 400,
      body: { message: 'body is not valid JSON' },
    });
    expect(
      await app.slack.post(JSON.stringify({ type: 'something_else' }), 'application/json'),
    ).toMatchObject({
      status: 400,
      body: { error: 'unhandled' },
    });
  });

  it('answers /vpn help and parse errors in the ack itself, without a response_url reply', async () => {
    app = await startTestApp();
    const help = await app.slack.command('help', 'UONCALL1');
    expect(help.status).toBe(200);
    expect(help.body?.text).toMatch(/\/vpn status \[site\]/);
    const bad = await app.slack.command('status dc1 extra', 'UONCALL1');
    expect(bad.body?.text).toBe(':warning: usage: /vpn status [site]');
    // The parser quotes what was typed; the reply shows it literally (no @channel ping, no disguised link).
    const quoted = await app.slack.command('status <!channel>', 'UONCALL1');
    expect(quoted.body?.text).toBe(':warning: "&lt;!channel&gt;" is not a valid site name');
    await new Promise((r) => setTimeout(r, 200));
    expect(app.slack.received).toHaveLength(0);
  });

  it('acks /vpn status before the slow AWS reads finish, then replies', async () => {
    const fake = fakeAccount();
    const observe = fake.account.routeTables.observe;
    fake.account.routeTables.observe = async (sites) => {
      await new Promise((r) => setTimeout(r, 1500));
      return observe(sites);
    };
    app = await startTestApp({ account: fake.account });
    const started = Date.now();
    const ack = await app.slack.command('status', 'UONCALL1');
    const ackMs = Date.now() - started;
    expect(ack.status).toBe(200);
    expect(ackMs).toBeLessThan(1000);
    expect(app.slack.received).toHaveLength(0);
    const [reply] = await app.slack.waitForReplies(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(reply?.text).toMatch(/^dc1: active primary/);
  });
});
