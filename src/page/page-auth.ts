import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHead } from '../http/server.js';
import type { PageSessions } from './page-sessions.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export const SESSION_COOKIE = 'tunnelops_session';

/** Constant-time comparison of what someone typed (or sent) with the expected secret. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time does not depend on where they differ; lengths differ -> false.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length;
}

export type SignIn = { ok: true; sessionId: string } | { ok: false; why: 'wrong' | 'throttled' };

/**
 * Who may see the status page: anyone when no TUNNELOPS_API_TOKEN is set; otherwise a request with the
 * Bearer token or the cookie of a live sign-in session (random per sign-in, stored, revoked by sign-out,
 * expiring; see PageSessions). The cookie opens the page only: it is not the API token.
 */
export class PageAuth {
  constructor(
    private readonly token: string | undefined,
    private readonly sessions: PageSessions,
    private readonly throttle: SignInThrottle,
  ) {}

  get required(): boolean {
    return Boolean(this.token);
  }

  /**
   * Who is looking, for per-viewer limits: the session, the Bearer token holder, or (with no token set) the
   * peer address; null when the page is not open to this request.
   */
  async viewer(head: Pick<RequestHead, 'headers' | 'remote'>): Promise<string | null> {
    if (!this.token) return `address ${head.remote}`;
    const header = head.headers.authorization ?? '';
    if (header.startsWith('Bearer ') && sameSecret(header.slice(7), this.token)) return 'bearer';
    const id = sessionCookie(head);
    // Named by a hash, so that logs and limits never hold the cookie itself.
    if (id !== undefined && (await this.sessions.valid(id)))
      return `session ${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
    return null;
  }

  /**
   * A sign-in attempt. Every attempt first takes from one budget shared by all callers, given back when the
   * token was right: wrong guesses are limited globally (in parallel or not), not per request.
   */
  async signIn(given: string): Promise<SignIn> {
    if (!this.token) return { ok: false, why: 'wrong' };
    if (!this.throttle.take()) return { ok: false, why: 'throttled' };
    if (!sameSecret(given, this.token)) return { ok: false, why: 'wrong' };
    this.throttle.giveBack();
    return { ok: true, sessionId: await this.sessions.create() };
  }

  /** Revokes the request's session, if it has one: the cookie is worthless from then on, wherever it is. */
  async signOut(head: Pick<RequestHead, 'headers'>): Promise<void> {
    const id = sessionCookie(head);
    if (id !== undefined) await this.sessions.revoke(id);
  }
}

export function sessionCookieHeader(sessionId: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export const clearedSessionCookie = (): string =>
  `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

/** Behind a TLS-terminating load balancer the request says https; only then may the cookie require it. */
export const isHttps = (req: Pick<RequestHead, 'headers'>): boolean =>
  req.headers['x-forwarded-proto'] === 'https';

function sessionCookie(head: Pick<RequestHead, 'headers'>): string | undefined {
  for (const part of (head.headers.cookie ?? '').slice(0, 8192).split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}
