import type { ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.js';
import { UnauthorizedError } from '../domain/errors.js';
import { attentionReason } from '../domain/fleet-summary.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { guarded } from '../http/errors.js';
import { sendJson } from '../http/server.js';
import { PAGE_CSS, PAGE_JS } from '../page/page-assets.js';
import { clearedSessionCookie, isHttps, PageAuth, sessionCookieHeader } from '../page/page-auth.js';
import { PageFeed } from '../page/page-feed.js';
import { PageSessions, SESSION_TTL_MS } from '../page/page-sessions.js';
import { pageParts, parseFilter, renderPage, renderSignIn, siteCard } from '../page/render-page.js';
import { SignInThrottle } from '../page/sign-in-throttle.js';
import { escapeHtml } from '../render/escape-html.js';

/** Nothing but the bot's own stylesheet, script and event stream; no inline code, no framing. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export interface StatusPageOptions {
  /** How often open pages are refreshed (default 2 s: a change shows within about 2 s plus the status read). */
  intervalMs?: number;
}

/** The live status page: GET / (HTML), /page.css, /page.js, /events (SSE), sign-in, and GET /api/overview (JSON). */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function registerStatusPage(ctx: AppContext, options: StatusPageOptions = {}): void {
  const { overview } = ctx.services;
  const token = ctx.env.TUNNELOPS_API_TOKEN;
  const now = () => ctx.clock.now();
  const auth = new PageAuth(token, new PageSessions(ctx.store, token ?? '', now), new SignInThrottle(now));
  const feed = new PageFeed({
    render: async () => pageParts(await overview.overview()),
    intervalMs: options.intervalMs ?? 2000,
    log: ctx.log.child({ component: 'page-feed' }),
  });
  ctx.onStop(() => feed.stop());

  ctx.http.route(
    'GET',
    '/',
    (req, res) =>
      guarded(req, res, async () => {
        if ((await auth.viewer(req)) === null) return html(res, 401, renderSignIn());
        const request = { filter: parseFilter(req.query), detail: req.query.get('site') ?? undefined };
        const [{ parts, since }, detail] = await Promise.all([
          feed.current(),
          request.detail === undefined ? '' : detailHtml(request.detail),
        ]);
        html(res, 200, renderPage(parts, { signOut: auth.required, since, request, detail }));
      }),
    { auth: 'public' }, // shows the sign-in form itself
  );
  const detailHtml = async (name: string): Promise<string> => {
    const found = await overview.detail(name.slice(0, 100));
    if (!found) return `<p class="error" role="alert">✗ No site named ${escapeHtml(name.slice(0, 100))}.</p>`;
    return siteCard(found.site, found.graph, attentionReason(found.site), found.nearest);
  };
  // A site's detail (its card with the graph) as a fragment, for the page script's "Detail" links.
  ctx.http.route(
    'GET',
    '/site',
    (req, res) =>
      guarded(req, res, async () => {
        if ((await auth.viewer(req)) === null) return html(res, 401, 'sign in at /');
        html(res, 200, await detailHtml(req.query.get('name') ?? ''));
      }),
    { auth: 'public' }, // the page's own sign-in, as GET /
  );
  ctx.http.route('GET', '/page.css', async (_req, res) => asset(res, 'text/css', PAGE_CSS), {
    auth: 'public',
  });
  // Browsers ask for it on every page; answering keeps the console (and the log) free of 404s.
  ctx.http.route(
    'GET',
    '/favicon.ico',
    async (_req, res) => {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
    },
    { auth: 'public' },
  );
  ctx.http.route('GET', '/page.js', async (_req, res) => asset(res, 'text/javascript', PAGE_JS), {
    auth: 'public',
  });
  ctx.http.route(
    'GET',
    '/events',
    async (req, res) =>
      feed.subscribe(
        res,
        SECURITY_HEADERS,
        (await auth.viewer(req)) ?? req.remote,
        req.query.get('since') ?? undefined,
      ),
    {
      auth: async (head) => {
        if ((await auth.viewer(head)) === null) throw new UnauthorizedError('sign in at /');
      },
    },
  );
  ctx.http.route(
    'POST',
    '/signin',
    (req, res) =>
      guarded(req, res, async () => {
        if (!auth.required) return redirect(res, '/');
        const given = new URLSearchParams(req.rawBody.toString('utf8')).get('token') ?? '';
        const result = await auth.signIn(given);
        if (!result.ok) {
          req.log.info({ why: result.why }, 'status page: sign-in refused');
          return result.why === 'throttled'
            ? html(res, 429, renderSignIn('Too many wrong sign-ins lately; try again in a few seconds.'))
            : html(res, 401, renderSignIn('Wrong token.'));
        }
        redirect(res, '/', sessionCookieHeader(result.sessionId, SESSION_TTL_MS / 1000, isHttps(req)));
      }),
    { auth: 'public', maxBody: 4096 },
  );
  ctx.http.route(
    'POST',
    '/signout',
    (req, res) =>
      guarded(req, res, async () => {
        await auth.signOut(req);
        redirect(res, '/', clearedSessionCookie());
      }),
    { auth: 'public', maxBody: 4096 },
  );
  ctx.http.route(
    'GET',
    '/api/overview',
    (req, res) =>
      guarded(req, res, async () => {
        sendJson(res, 200, await overview.overview());
      }),
    { auth: bearerAuth(token) },
  );
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function asset(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'max-age=300',
  });
  res.end(body);
}

function redirect(res: ServerResponse, to: string, cookie?: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location: to, ...(cookie ? { 'set-cookie': cookie } : {}) });
  res.end();
}
