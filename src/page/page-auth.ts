import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHead } from '../http/server.js';

export const SESSION_COOKIE = 'tunnelops_session';
/** A sign-in lasts a working shift and a half; the NOC screen signs in again after that. */
const SESSION_MAX_AGE_S = 12 * 60 * 60;

/**
 * The cookie holds an HMAC of the API token, not the token: it opens the page, but cannot be replayed
 * as a Bearer token against /api/*. Changing TUNNELOPS_API_TOKEN signs every screen out.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('tunnelops status page session v1').digest('base64url');
}

/** Constant-time comparison of what someone typed (or sent) with the expected secret. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time does not depend on where they differ; lengths differ -> false.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length;
}

/** True when no token is configured, or the request carries the session cookie or the Bearer token. */
export function pageAllowed(req: Pick<RequestHead, 'headers'>, token: string | undefined): boolean {
  if (!token) return true;
  const cookie = cookies(req.headers.cookie).get(SESSION_COOKIE);
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) return true;
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') && sameSecret(header.slice(7), token);
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}${secure ? '; Secure' : ''}`;
}

export const clearedSessionCookie = (): string =>
  `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

/** Behind a TLS-terminating load balancer the request says https; only then may the cookie require it. */
export const isHttps = (req: Pick<RequestHead, 'headers'>): boolean =>
  req.headers['x-forwarded-proto'] === 'https';

function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').slice(0, 8192).split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}
