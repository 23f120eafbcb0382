/**
 * The `vpn` CLI's exit status comes from the outcome a reply carries in its Slack message metadata, not from
 * its text: the CLI (a real process) against a real HTTP server that checks Slack's signature and answers
 * `/vpn` with a chosen reply, as a newer or an older tunnelops would.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { refusedWith, replyMetadata } from '../../src/slack/commands/vpn-reply-outcome.js';
import { signSlackRequest } from '../../src/slack/request-signature.js';
import { runCli, sandboxEnv } from '../helpers/sandbox-process.js';

const SECRET = 'outcome-test-secret';
let server: Server;
let url: string;
let reply: Record<string, unknown> = {};
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/healthz') return void res.writeHead(200).end('{"ok":true}');
      const body = Buffer.concat(chunks);
      const expected = signSlackRequest(SECRET, Number(req.headers['x-slack-request-timestamp']), body);
      const given = String(req.headers['x-slack-signature'] ?? '');
      if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected)))
        return void res.writeHead(401).end('bad signature');
      seen.push(new URLSearchParams(body.toString('utf8')).get('text') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const status = async (answer: Record<string, unknown>) => {
  reply = { response_type: 'ephemeral', ...answer };
  return runCli('vpn', ['status'], sandboxEnv({ TUNNELOPS_URL: url, SLACK_SIGNING_SECRET: SECRET }));
};

describe('vpn CLI exit status from the reply metadata', () => {
  it('a leading emoji with an ok outcome exits 0; plain text with a refused outcome exits 1', async () => {
    const ok = await status({
      text: ':warning: two tunnels degraded',
      metadata: replyMetadata({ outcome: 'ok' }),
    });
    expect(ok.out).toContain('two tunnels degraded');
    expect(ok.code).toBe(0);
    const refused = await status({
      text: 'Unknown site "dc9".',
      metadata: replyMetadata(refusedWith('unknown-site')),
    });
    expect(refused.out).toContain('Unknown site "dc9".');
    expect(refused.code).toBe(1);
    expect(seen).toEqual(['status', 'status']);
  }, 90_000);

  it('an older server (no metadata): a leading :no_entry_sign:, :warning: or :x: exits 1, other text 0', async () => {
    expect((await status({ text: ':x: Sorry, that failed on our side.' })).code).toBe(1);
    expect((await status({ text: 'All tunnels healthy.' })).code).toBe(0);
  }, 90_000);
});
