import type { ServerResponse } from 'node:http';

/** Nothing but the bot's own stylesheet, script and event stream; no inline code, no framing. */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The stylesheet and the script: the same for every page, so a browser keeps them a few minutes. */
export function asset(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'max-age=300',
  });
  res.end(body);
}

export function redirect(res: ServerResponse, to: string, cookie?: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location: to, ...(cookie ? { 'set-cookie': cookie } : {}) });
  res.end();
}

/** Nothing to send (the favicon browsers ask for on every page: answering keeps the log free of 404s). */
export function noContent(res: ServerResponse): void {
  res.writeHead(204, SECURITY_HEADERS);
  res.end();
}
