import { afterEach, describe, expect, it } from '@jest/globals';
import type { Overview } from '../../src/domain/overview.js';
import { pageParts, renderMain } from '../../src/page/render-page.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const TOKEN = 'page-test-token-0123456789';
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const form = (token: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token }).toString(),
  redirect: 'manual' as const,
});

/** The `main` events' data (part id, newline, content) that arrive within `ms`. */
async function events(res: Response, ms: number): Promise<string[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const stop = setTimeout(() => void reader.cancel(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
    }
  } catch {
    // cancelled
  } finally {
    clearTimeout(stop);
  }
  return buffer
    .split('\n\n')
    .filter((b) => b.startsWith('event: main\n'))
    .map((b) =>
      b
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/^data: /, ''))
        .join('\n'),
    );
}

describe('status page over HTTP', () => {
  it('is open without a token: HTML with a strict CSP, its own CSS/JS, and the overview as JSON', async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    const html = await res.text();
    expect(html).toContain('data-active-tunnel="primary"');
    expect(html).not.toMatch(/<script>|<style|style="|https?:\/\/(?!www\.w3\.org)/);
    expect(html).not.toContain('Sign out');
    expect((await fetch(`${app.url}/page.js`)).headers.get('content-type')).toContain('javascript');
    const json = (await (await fetch(`${app.url}/api/overview`)).json()) as Overview;
    expect(json.status.sites[0]?.activeTunnel).toBe('primary');
    expect(json.graphs.dc1?.tunnels.map((t) => t.name)).toEqual(['primary', 'secondary']);
  });

  it('names people (requesters, approvers) instead of showing their Slack ids', async () => {
    app = await startTestApp();
    const asked = await app.ctx.services.approvals.request({
      action: 'failover',
      site: 'dc1',
      requester: 'UREQUESTER',
      reason: 'planned',
    });
    expect(asked.ok).toBe(true);
    const html = await (await fetch(`${app.url}/`)).text();
    expect(html).toContain('<td data-label="Asked by">@requester</td>');
    expect(html).not.toContain('UREQUESTER');
    const json = (await (await fetch(`${app.url}/api/overview`)).json()) as Overview;
    expect(json.people).toEqual({ UREQUESTER: 'requester' });
    expect(json.pending[0]?.requester).toBe('UREQUESTER');
  });

  it('streams the parts of the page as server-sent events, each once until it changes', async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const first = await events(res, 2500);
    const ids = first.map((e) => e.split('\n')[0]);
    expect(ids).toEqual(expect.arrayContaining(['asof', 'summary', 'order', 'site-dc1', 'panels']));
    const dc1 = first.find((e) => e.startsWith('site-dc1\n'))!;
    expect(dc1).toContain('section class="site"');
    expect(dc1).toContain('data-active-tunnel="primary"');
    // A page built at a generation gets only what changed after it: at least the time, never all of it again.
    const page = await (await fetch(`${app.url}/`)).text();
    const since = /data-since="([^"]+)"/.exec(page)![1]!;
    const later = await events(await fetch(`${app.url}/events?since=${since}`), 2500);
    expect(later.map((e) => e.split('\n')[0])).not.toContain('order');
  });

  it('with a token: sign-in form, wrong token refused, right token sets an HttpOnly SameSite=Strict cookie', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const anonymous = await fetch(`${app.url}/`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('<form method="post" action="/signin">');
    expect((await fetch(`${app.url}/events`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/overview`)).status).toBe(401);

    const wrong = await fetch(`${app.url}/signin`, form('nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('Wrong token.');

    const right = await fetch(`${app.url}/signin`, form(TOKEN));
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^tunnelops_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    const page = await fetch(`${app.url}/`, { headers: { cookie: session } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign out');
    // The cookie opens the page only: it is not the API token.
    const value = session.split('=')[1]!;
    expect(
      (await fetch(`${app.url}/api/status`, { headers: { authorization: `Bearer ${value}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${app.url}/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    const out = await fetch(`${app.url}/signout`, { method: 'POST', redirect: 'manual' });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
  });
});

describe('status page rendering', () => {
  it('escapes every text that comes from outside (alarm names and reasons, request reasons, audit actors)', () => {
    const evil = '<img src=x onerror=alert(1)>&"\'';
    const overview: Overview = {
      generatedAt: '2026-11-25T12:00:00.000Z',
      status: { generatedAt: '2026-11-25T12:00:00.000Z', sites: [] },
      graphs: {},
      nearestExpiry: {},
      people: { UEVIL: evil },
      alarms: [{ name: evil, site: null, tunnel: null, reason: evil, since: evil }],
      pending: [
        {
          id: 'fo-abc',
          action: 'failover',
          site: 'dc1',
          requester: evil,
          state: 'pending',
          reason: evil,
          createdAt: '2026-11-25T11:59:00.000Z',
          expiresAt: '2026-11-25T12:14:00.000Z',
        },
      ],
      failovers: [
        { at: 0, site: 'dc1', from: evil, to: evil, actor: evil },
        { at: 0, site: 'dc1', from: 'primary', to: 'secondary', actor: 'UEVIL' },
      ],
    };
    const html = renderMain(pageParts(overview), { filter: { q: '', state: 'all' } });
    expect(html).not.toContain('<img');
    expect(
      html.match(/&lt;img src=x onerror=alert\(1\)&gt;&amp;&quot;&#39;/g)?.length,
    ).toBeGreaterThanOrEqual(7);
    expect(html).toContain('not mapped to a site');
  });
});
