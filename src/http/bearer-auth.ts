import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../domain/errors.js';
import type { RoutedRequest } from './server.js';

/** /api/* require `Authorization: Bearer <TUNNELOPS_API_TOKEN>` when a token is configured. */
export function requireBearer(req: RoutedRequest, token: string | undefined): void {
  if (!token) return;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UnauthorizedError('missing or wrong bearer token (see TUNNELOPS_API_TOKEN)');
  }
}
