import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Review 2, item 8: the page cookie was a deterministic HMAC of the token (the same for every sign-in, not
// revocable, valid until the token rotated); wrong sign-ins were only delayed 300 ms each (100 parallel
// guesses in 3 s); /api/* JSON had no cache-control.
const TOKEN = 'page-session-test-token-0123456789';
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const signIn = (base: string, token: string) =>
  fetch(`${base}/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });

const cookieOf = (res: Response): string => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
const pageStatus = async (base: string, cookie: string): Promise<number> => {
  const res = await fetch(`${base}/`, { headers: { cookie } });
  await res.text();
  return res.status;
};

describe('review 2, item 8: page sessions, sign-in throttling, no-store', () => {
  it('gives every sign-in its own random session, which sign-out revokes (others stay valid)', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const a = cookieOf(await signIn(app.url, TOKEN));
    const b = cookieOf(await signIn(app.url, TOKEN));
    expect(a).toMatch(/^tunnelops_session=[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await pageStatus(app.url, a)).toBe(200);
    expect(await pageStatus(app.url, b)).toBe(200);
    // Stored with an expiry, under a hash: the store holds nothing a browser could present.
    const stored = await app.ctx.store.list('page-session');
    expect(stored).toHaveLength(2);
    for (const s of stored) {
      expect(a).not.toContain(s.key);
      expect(s.expiresAt).not.toBeNull();
      expect(s.expiresAt! - app.ctx.clock.now()).toBeLessThanOrEqual(12 * 3600_000);
    }
    const out = await fetch(`${app.url}/signout`, {
      method: 'POST',
      headers: { cookie: a },
      redirect: 'manual',
    });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(await pageStatus(app.url, a)).toBe(401); // a copy of the cookie kept elsewhere is worthless now
    expect((await fetch(`${app.url}/events`, { headers: { cookie: a } })).status).toBe(401);
    expect(await pageStatus(app.url, b)).toBe(200);
    expect(await pageStatus(app.url, 'tunnelops_session=forged')).toBe(401);
  });

  it('keeps sessions across a restart, and ends them all when the token changes', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const dataDir = app.dataDir;
    const a = cookieOf(await signIn(app.url, TOKEN));
    await app.close(false);
    app = await startTestApp({ dataDir, env: { TUNNELOPS_API_TOKEN: TOKEN } });
    expect(await pageStatus(app.url, a)).toBe(200);
    await app.close(false);
    app = await startTestApp({ dataDir, env: { TUNNELOPS_API_TOKEN: `${TOKEN}-rotated` } });
    expect(await pageStatus(app.url, a)).toBe(401);
  });

  it('throttles wrong sign-ins for the whole server: parallel guesses do not get more tries', async () => {
    const clock = new ManualClock(Date.now());
    app = await startTestApp({ clock, env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const t = app;
    const guesses = await Promise.all(Array.from({ length: 100 }, (_, i) => signIn(t.url, `guess-${i}`)));
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(90);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // While the budget is spent, no attempt is even checked (the right token too); it refills with time.
    expect((await signIn(t.url, TOKEN)).status).toBe(429);
    clock.advance(60_000);
    const right = await signIn(t.url, TOKEN);
    expect(right.status).toBe(303);
    // A right token gives its try back: signing in does not use up the budget.
    for (let i = 0; i < 20; i++) expect((await signIn(t.url, TOKEN)).status).toBe(303);
  });

  it('marks every JSON answer no-store, errors included', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/api/overview', '/api/status', '/api/audit', '/healthz']) {
      const res = await fetch(`${app.url}${path}`, { headers: auth });
      await res.text();
      expect([path, res.status, res.headers.get('cache-control')]).toEqual([path, 200, 'no-store']);
    }
    const refused = await fetch(`${app.url}/api/status`);
    await refused.text();
    expect([refused.status, refused.headers.get('cache-control')]).toEqual([401, 'no-store']);
  });
});
