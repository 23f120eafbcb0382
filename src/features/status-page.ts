import type { AppContext } from '../app/context.js';
import { UnauthorizedError } from '../domain/errors.js';
import { attentionReason } from '../domain/fleet-summary.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { sendJson } from '../http/server.js';
import { PAGE_CSS, PAGE_JS } from '../page/page-assets.js';
import { clearedSessionCookie, isHttps, PageAuth, sessionCookieHeader } from '../page/page-auth.js';
import { PageFeed } from '../page/page-feed.js';
import { parseFilter } from '../page/page-filter.js';
import { renderSignIn } from '../page/page-layout.js';
import { asset, html, noContent, redirect, SECURITY_HEADERS } from '../page/page-responses.js';
import { PageSessions, SESSION_TTL_MS } from '../page/page-sessions.js';
import { pageParts, renderPage } from '../page/render-page.js';
import { SignInThrottle } from '../page/sign-in-throttle.js';
import { siteCard } from '../page/site-card.js';
import { escapeHtml } from '../render/escape-html.js';

export interface StatusPageOptions {
  /** How often open pages are refreshed (default 2 s: a change shows within about 2 s plus the status read). */
  intervalMs?: number;
}

/**
 * The live status page: GET / (HTML), /site (a site's detail), /page.css, /page.js, /events (SSE), sign-in and
 * sign-out, and GET /api/overview (JSON). Routes throw; the server's one error path answers.
 */
export function registerStatusPage(ctx: AppContext, options: StatusPageOptions = {}): void {
  const token = ctx.env.TUNNELOPS_API_TOKEN;
  const now = () => ctx.clock.now();
  const auth = new PageAuth(token, new PageSessions(ctx.store, token ?? '', now), new SignInThrottle(now));
  const feed = new PageFeed({
    render: async () => pageParts(await ctx.services.overview.overview()),
    intervalMs: options.intervalMs ?? 2000,
    log: ctx.log.child({ component: 'page-feed' }),
  });
  ctx.onStop(() => feed.stop());
  pageRoutes(ctx, auth, feed);
  assetRoutes(ctx);
  signInRoutes(ctx, auth);
  ctx.http.route(
    'GET',
    '/api/overview',
    async (_req, res) => sendJson(res, 200, await ctx.services.overview.overview()),
    { auth: bearerAuth(token) },
  );
}

/** The page, a site's detail as a fragment, and the stream of the page's changed parts. */
function pageRoutes(ctx: AppContext, auth: PageAuth, feed: PageFeed): void {
  const detailHtml = async (name: string): Promise<string> => {
    const found = await ctx.services.overview.detail(name.slice(0, 100));
    if (!found) return `<p class="error" role="alert">✗ No site named ${escapeHtml(name.slice(0, 100))}.</p>`;
    return siteCard(found.site, found.graph, attentionReason(found.site), found.nearest);
  };
  ctx.http.route(
    'GET',
    '/',
    async (req, res) => {
      if ((await auth.viewer(req)) === null) return html(res, 401, renderSignIn());
      const request = { filter: parseFilter(req.query), detail: req.query.get('site') ?? undefined };
      const [{ parts, since }, detail] = await Promise.all([
        feed.current(),
        request.detail === undefined ? '' : detailHtml(request.detail),
      ]);
      html(res, 200, renderPage(parts, { signOut: auth.required, since, request, detail }));
    },
    { auth: 'public' }, // shows the sign-in form itself
  );
  // A site's detail (its card with the graph) as a fragment, for the page script's "Detail" links.
  ctx.http.route(
    'GET',
    '/site',
    async (req, res) => {
      if ((await auth.viewer(req)) === null) return html(res, 401, 'sign in at /');
      html(res, 200, await detailHtml(req.query.get('name') ?? ''));
    },
    { auth: 'public' }, // the page's own sign-in, as GET /
  );
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
}

function assetRoutes(ctx: AppContext): void {
  const open = { auth: 'public' } as const;
  ctx.http.route('GET', '/page.css', async (_req, res) => asset(res, 'text/css', PAGE_CSS), open);
  ctx.http.route('GET', '/page.js', async (_req, res) => asset(res, 'text/javascript', PAGE_JS), open);
  ctx.http.route('GET', '/favicon.ico', async (_req, res) => noContent(res), open);
}

/** Sign-in with the API token (a POST, so it never lands in a URL or a log) and sign-out. */
function signInRoutes(ctx: AppContext, auth: PageAuth): void {
  ctx.http.route(
    'POST',
    '/signin',
    async (req, res) => {
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
    },
    { auth: 'public', maxBody: 4096 },
  );
  ctx.http.route(
    'POST',
    '/signout',
    async (req, res) => {
      await auth.signOut(req);
      redirect(res, '/', clearedSessionCookie());
    },
    { auth: 'public', maxBody: 4096 },
  );
}
