import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../domain/errors.js';
import type { AuthCheck, RequestHead } from './server.js';

/** /api/* require `Authorization: Bearer <TUNNELOPS_API_TOKEN>` when a token is configured. */
export function requireBearer(head: Pick<RequestHead, 'headers'>, token: string | undefined): void {
  if (!token) return;
  const header = head.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UnauthorizedError('missing or wrong bearer token (see TUNNELOPS_API_TOKEN)');
  }
}

/** The route option for /api/*: the token is checked from the headers, before any body is read. */
export const bearerAuth =
  (token: string | undefined): AuthCheck =>
  (head) =>
    requireBearer(head, token);
