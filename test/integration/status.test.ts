import { afterEach, describe, expect, it } from '@jest/globals';
import { ok } from '../../src/domain/outcome.js';
import { createSandboxAccount } from '../../src/local/sandbox-account.js';
import { signSlackRequest } from '../../src/slack/request-signature.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';
import { awsError, fakeAccount } from '../unit/status/fake-account.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const blockText = (blocks: unknown[] | undefined): string => JSON.stringify(blocks ?? []);

async function chaos(a: TestApp, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${a.url}/api/sandbox/chaos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/vpn status over signed HTTP', () => {
  it('acks at once and replies at the response_url with dc1 on primary', async () => {
    app = await startTestApp();
    const ack = await app.slack.command('status', 'UONCALL1');
    expect(ack.status).toBe(200);
    const [reply] = await app.slack.waitForReplies(1);
    expect(reply?.response_type).toBe('ephemeral');
    expect(reply?.text).toMatch(/^dc1: active primary; primary healthy .*; secondary healthy/);
    const blocks = blockText(reply?.blocks);
    expect(blocks).toContain('VPN status: dc1 (us-east-1)');
    expect(blocks).toContain('*Active tunnel:* *primary*');
    expect(blocks).toContain('All 4 routes point at primary.');
    expect(blocks).toContain(':large_green_circle: *primary* (active): healthy');
  });

  it('says so for an unknown site and lists the sites', async () => {
    app = await startTestApp();
    expect((await app.slack.command('status dc9', 'UONCALL1')).status).toBe(200);
    const [reply] = await app.slack.waitForReplies(1);
    expect(reply?.text).toBe('Unknown site "dc9". Known sites: `dc1`');
  });

  it.each([
    [
      'a bad signature',
      (ts: number, body: string) => ({
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest('wrong', ts, body),
      }),
    ],
    [
      'a stale timestamp',
      (ts: number, body: string) => ({
        'x-slack-request-timestamp': String(ts - 301),
        'x-slack-signature': signSlackRequest('test-signing-secret', ts - 301, body),
      }),
    ],
    ['no signature', () => ({})],
  ])('rejects %s with 401 and never replies', async (_what, headersFor) => {
    app = await startTestApp();
    const body = new URLSearchParams({
      command: '/vpn',
      text: 'status',
      user_id: 'UONCALL1',
      channel_id: 'C0SANDBOX1',
      team_id: 'T0SANDBOX',
      response_url: app.slack.responseUrl,
      trigger_id: '1.2.3',
    }).toString();
    const res = await fetch(`${app.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...headersFor(Math.floor(Date.now() / 1000), body),
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.slack.received).toHaveLength(0);
  });

  it('renders the parts it could read when one AWS call fails', async () => {
    app = await startTestApp({
      account: fakeAccount({ tasks: awsError('ThrottlingException', 'Rate exceeded') }).account,
    });
    await app.slack.command('status dc1', 'UONCALL1');
    const [reply] = await app.slack.waitForReplies(1);
    const blocks = blockText(reply?.blocks);
    expect(blocks).toContain('unknown, because ECS tasks: AWS throttled the call (ThrottlingException)');
    expect(blocks).toContain('*Active tunnel:* *primary*');
    expect(blocks).toContain('loss 0.1%');
  });

  it('attaches the health graph drawn from the probe series as a PNG', async () => {
    const fake = fakeAccount();
    fake.account.metrics.probeSeries = async (site) =>
      new Map(
        site.tunnels.map((t) => [t.name, ok([{ at: Date.now() - 60_000, lossPct: 1, latencyMs: 20 }])]),
      );
    app = await startTestApp({ account: fake.account });
    await app.slack.command('status', 'UONCALL1');
    await app.slack.waitForReplies(1);
    const deadline = Date.now() + 5000;
    while (!app.slackStandin?.callsTo('files.completeUploadExternal').length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [done] = app.slackStandin?.callsTo('files.completeUploadExternal') ?? [];
    expect(done?.args.channel_id).toBe('C0SANDBOX1');
    expect(JSON.stringify(done?.args.files)).toContain('dc1 tunnel health');
    const [png] = [...(app.slackStandin?.uploads.values() ?? [])];
    expect(png?.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png?.readUInt32BE(16)).toBe(800); // IHDR width
  });
});

describe('GET /healthz and /api/status', () => {
  it('answers /healthz', async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it('returns the status as JSON without a token when none is configured', async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/api/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const json = (await res.json()) as { sites: Array<Record<string, unknown>> };
    expect(json).toMatchObject({
      sites: [
        {
          name: 'dc1',
          activeTunnel: 'primary',
          routesAgree: true,
          tunnels: [
            { name: 'primary', health: 'healthy', active: true },
            { name: 'secondary', health: 'healthy', active: false },
          ],
        },
      ],
    });
    const notFound = await fetch(`${app.url}/api/status?site=dc9`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { message: string }).message).toMatch(/unknown site "dc9"/);
  });

  it('requires the bearer token when TUNNELOPS_API_TOKEN is set', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: 'status-token-123' } });
    expect((await fetch(`${app.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/status`, { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    const res = await fetch(`${app.url}/api/status?site=dc1`, {
      headers: { authorization: 'Bearer status-token-123' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sites: Array<{ name: string }> }).sites.map((s) => s.name)).toEqual([
      'dc1',
    ]);
  });
});

describe('POST /api/sandbox/chaos', () => {
  it('breaks a tunnel so status shows it down, and heals it again', async () => {
    app = await startTestApp();
    const broken = await chaos(app, { site: 'dc1', tunnel: 'primary', action: 'break' });
    expect(broken).toEqual({
      status: 200,
      body: { site: 'dc1', tunnel: 'primary', action: 'break', up: false },
    });
    const json = (await (await fetch(`${app.url}/api/status`)).json()) as {
      sites: Array<{
        activeTunnel: string;
        tunnels: Array<{ name: string; health: string; healthReason: string }>;
      }>;
    };
    expect(json.sites[0]?.activeTunnel).toBe('primary');
    expect(json.sites[0]?.tunnels[0]).toMatchObject({
      name: 'primary',
      health: 'down',
      healthReason: 'every probe lost in the last minute',
    });
    expect(json.sites[0]?.tunnels[1]).toMatchObject({ name: 'secondary', health: 'healthy' });

    await app.slack.command('status', 'UONCALL1');
    const [reply] = await app.slack.waitForReplies(1);
    expect(blockText(reply?.blocks)).toContain(':red_circle: *primary* (active): down');

    expect((await chaos(app, { site: 'dc1', tunnel: 'primary', action: 'heal' })).body.up).toBe(true);
  });

  it.each([
    ['not JSON', 'break it'],
    ['a bad action', { site: 'dc1', tunnel: 'primary', action: 'explode' }],
    ['a missing tunnel', { site: 'dc1', action: 'break' }],
    ['an unknown site', { site: 'dc9', tunnel: 'primary', action: 'break' }],
    ['an unknown tunnel', { site: 'dc1', tunnel: 'tertiary', action: 'break' }],
  ])('answers 400 to %s', async (_what, body) => {
    app = await startTestApp();
    const res = await chaos(app, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
  });

  it('needs the bearer token when one is set', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: 'chaos-token' } });
    const body = { site: 'dc1', tunnel: 'secondary', action: 'break' };
    expect((await chaos(app, body)).status).toBe(401);
    expect((await chaos(app, body, { authorization: 'Bearer chaos-token' })).status).toBe(200);
  });

  it('is 404 outside the sandbox', async () => {
    app = await startTestApp({
      account: createSandboxAccount({ topology: demoTopology(), clock: { now: () => Date.now() } }),
    });
    const res = await chaos(app, { site: 'dc1', tunnel: 'primary', action: 'break' });
    expect(res.status).toBe(404);
    expect(String(res.body.message)).toMatch(/only available in the sandbox/);
  });
});
