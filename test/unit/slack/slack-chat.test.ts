import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { LogLevel, WebClient } from '@slack/web-api';
import { SLACK_CLIENT_DEFAULTS, SlackChat } from '../../../src/slack/slack-chat.js';

/** A real HTTP server that accepts Slack Web API calls and never answers (a hung or rate-limited Slack). */
async function hangingSlack(): Promise<{ url: string; server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req) => {
    calls.push(req.url ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, server, calls };
}

describe('SlackChat', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  });

  it('gives up on a call Slack never answers after its deadline, instead of waiting on retries', async () => {
    const slack = await hangingSlack();
    server = slack.server;
    const client = new WebClient('xoxb-test', {
      ...SLACK_CLIENT_DEFAULTS,
      slackApiUrl: slack.url,
      logLevel: LogLevel.ERROR,
    });
    const chat = new SlackChat(client, { timeoutMs: 300 });
    const t0 = Date.now();
    const err = await chat.post('C0123', { text: 'failover done' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TimeoutError' });
    expect((err as Error).message).toMatch(/Slack chat\.postMessage: no answer within 0\.3 s/);
    expect(Date.now() - t0).toBeLessThan(2000);
    // The call was sent (on a loaded machine it may reach the server only after the deadline has passed).
    for (const until = Date.now() + 5000; slack.calls.length === 0 && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 20));
    expect(slack.calls[0]).toMatch(/chat\.postMessage/);
  });
});
