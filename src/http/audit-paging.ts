import { BadRequestError } from '../domain/errors.js';
import type { AuditPageQuery } from '../ports/store.js';

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

/** `limit` (1..1000, default 100) and `cursor` (the `next` of the previous page, opaque) of GET /api/audit. */
export function auditPaging(query: URLSearchParams): Omit<AuditPageQuery, 'site'> {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? AUDIT_DEFAULT_LIMIT : Number(rawLimit);
  if (!/^\d{1,4}$/.test(rawLimit ?? '100') || limit < 1 || limit > AUDIT_MAX_LIMIT)
    throw new BadRequestError(`limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT}`);
  const cursor = query.get('cursor');
  if (cursor === null) return { limit };
  const before = /^[A-Za-z0-9_-]{1,344}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (!before) throw new BadRequestError('cursor must be the "next" value of a previous page');
  return { limit, before };
}

export const encodeAuditCursor = (next: string | null): string | null =>
  next === null ? null : Buffer.from(next, 'utf8').toString('base64url');
