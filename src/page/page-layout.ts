import { escapeHtml as h } from '../render/escape-html.js';

/** The shell every page shares: strict CSP-friendly (no inline script or style), one stylesheet, one script. */
export function layout(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title><link rel="stylesheet" href="/page.css"><script src="/page.js" defer></script>${head}</head>
<body><header><h1>${h(title)}</h1></header>
${body}
</body></html>`;
}

/** The sign-in form (when TUNNELOPS_API_TOKEN is set): a POST, so the token never lands in a URL or a log. */
export function renderSignIn(error?: string): string {
  return layout(
    'tunnelops status: sign in',
    '',
    `<main><section class="signin" aria-labelledby="signin-title"><h2 id="signin-title">Sign in</h2>
<p>This page needs the API token (TUNNELOPS_API_TOKEN), as /api/* does.</p>
${error ? `<p class="error" role="alert">✗ ${h(error)}</p>` : ''}
<form method="post" action="/signin"><label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="512">
<button type="submit">Sign in</button></form></section></main>`,
  );
}
