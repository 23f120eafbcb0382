import { afterEach, describe, expect, it } from '@jest/globals';
import { BODY_LIMITS } from '../../src/http/body-budget.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { OTHER_TOPIC_ARN, TOPIC_ARN } from '../unit/sns/sns-pki.js';
import { stalledUpload } from './stalled-upload.js';
import { WEBHOOK_SECRET } from './support.js';

// Review 2, item 2: every route read its body (up to 1 MiB) before any auth check, with no cap on the bytes
// buffered across requests: 300 stalled unauthenticated uploads took the sandbox from 152 to 448 MB RSS.
// The RSS and /healthz figures against a running sandbox are bench:abuse's; here, what makes them hold.
const TOKEN = 'security-suite-api-token';
const MiB = 1024 * 1024;
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Samples the server's body counters every few ms while `during` runs; returns their maxima. */
async function watchBodies<T>(
  t: TestApp,
  during: () => Promise<T>,
): Promise<{ result: T; maxBytes: number; maxReads: number }> {
  let maxBytes = 0;
  let maxReads = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      maxBytes = Math.max(maxBytes, t.ctx.http.bodies.bytesInFlight);
      maxReads = Math.max(maxReads, t.ctx.http.bodies.reads);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    return { result: await during(), maxBytes, maxReads };
  } finally {
    running = false;
    await loop;
  }
}

async function healthz(t: TestApp): Promise<number> {
  const res = await fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await res.text();
  return res.status;
}

describe('review 2, item 2: auth before the body, and bodies bounded across requests', () => {
  it('every route says how it is authenticated; the public ones take at most a small form', async () => {
    app = await startTestApp({
      env: { TUNNELOPS_API_TOKEN: TOKEN, WEBHOOK_SECRET, TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN },
    });
    const routes = app.ctx.http.routeList();
    const open = routes.filter((r) => r.auth === 'public').map((r) => r.route);
    expect(open.sort()).toEqual(
      [
        'GET /',
        'GET /favicon.ico',
        'GET /healthz',
        'GET /page.css',
        'GET /page.js',
        'GET /site',
        'POST /signin',
        'POST /signout',
      ].sort(),
    );
    for (const r of routes.filter((x) => x.auth === 'public')) expect(r.maxBody).toBeLessThanOrEqual(4096);
    for (const r of routes.filter((x) => x.route.startsWith('GET '))) expect(r.maxBody).toBe(0);
    // The page and a site's detail are public routes only to show the sign-in: without a session, no status.
    for (const path of ['/', '/site?name=dc1']) {
      const res = await fetch(`${app.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(await res.text()).not.toMatch(/dc1-primary|primary.*secondary/);
    }
  });

  it('refuses every checked route from its headers alone: a stalled unauthenticated upload is never read', async () => {
    app = await startTestApp({
      env: { TUNNELOPS_API_TOKEN: TOKEN, WEBHOOK_SECRET, TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN },
    });
    const posts = app.ctx.http.routeList().filter((r) => r.auth === 'checked' && r.route.startsWith('POST '));
    expect(posts.map((r) => r.route).sort()).toEqual(
      [
        'POST /api/github/webhooks',
        'POST /api/sandbox/alarm',
        'POST /api/sandbox/chaos',
        'POST /slack/events',
        'POST /sns',
      ].sort(),
    );
    // Credentials that look right but are not: a wrong token, an old Slack timestamp, a topic not allowed.
    const wrong: Record<string, string> = {
      authorization: 'Bearer not-the-token',
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000) - 3600),
      'x-slack-signature': `v0=${'0'.repeat(64)}`,
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-topic-arn': OTHER_TOPIC_ARN,
      'x-github-event': 'ping',
      'x-github-delivery': 'd-1',
    };
    const t = app;
    const { result, maxReads, maxBytes } = await watchBodies(t, async () => {
      const uploads = posts.map((r) =>
        stalledUpload(t.url, r.route.slice(5), wrong, Math.min(r.maxBody, 64 * 1024), 1024),
      );
      const statuses = await Promise.all(uploads.map((u) => u.status));
      const ms = await Promise.all(uploads.map((u) => u.ms));
      for (const u of uploads) u.close();
      return { statuses, ms };
    });
    for (const s of result.statuses) expect([400, 401, 403]).toContain(s);
    // Answered after at most the bounded drain (5 s), never after the body, which never comes.
    for (const ms of result.ms) expect(ms).toBeLessThan(15_000);
    expect(maxReads).toBe(0);
    expect(maxBytes).toBe(0);
  }, 30_000);

  it('caps the bytes of bodies held across all requests; /healthz answers throughout', async () => {
    // No token (the sandbox default): these uploads pass every check, so only the global cap holds them.
    app = await startTestApp();
    const t = app;
    const n = Math.ceil((2 * BODY_LIMITS.maxBytesInFlight) / MiB); // twice what may be held
    const { result, maxBytes } = await watchBodies(t, async () => {
      const uploads = Array.from({ length: n }, () =>
        stalledUpload(t.url, '/api/sandbox/chaos', { 'content-type': 'application/json' }, MiB, MiB - 1),
      );
      const health = await healthz(t);
      // Those past the cap are answered 503 (after a bounded drain); the rest 408 at the read timeout.
      const statuses = await Promise.all(uploads.map((u) => u.status));
      for (const u of uploads) u.close();
      return { health, statuses };
    });
    expect(result.health).toBe(200);
    const busy = result.statuses.filter((s) => s === 503).length;
    expect(busy).toBeGreaterThanOrEqual(n / 2 - 2);
    expect(result.statuses.filter((s) => s === 408).length).toBe(n - busy);
    expect(maxBytes).toBeLessThanOrEqual(BODY_LIMITS.maxBytesInFlight);
    // Nothing is left counted once the clients are gone.
    await new Promise((r) => setTimeout(r, 200));
    expect(t.ctx.http.bodies.bytesInFlight).toBe(0);
    expect(t.ctx.http.bodies.reads).toBe(0);
  }, 30_000);

  it('caps the bodies being read at once, and drops a body that does not arrive in time', async () => {
    app = await startTestApp();
    const t = app;
    const n = BODY_LIMITS.maxReads + 20;
    const { result, maxReads } = await watchBodies(t, async () => {
      const uploads = Array.from({ length: n }, () =>
        stalledUpload(t.url, '/api/sandbox/chaos', { 'content-type': 'application/json' }, 1024, 0),
      );
      const health = await healthz(t);
      const statuses = await Promise.all(uploads.map((u) => u.status));
      for (const u of uploads) u.close();
      return { health, statuses };
    });
    expect(result.health).toBe(200);
    expect(maxReads).toBeLessThanOrEqual(BODY_LIMITS.maxReads);
    expect(result.statuses.filter((s) => s === 503).length).toBe(20);
    expect(result.statuses.filter((s) => s === 408).length).toBe(BODY_LIMITS.maxReads);
  }, 30_000);
});
