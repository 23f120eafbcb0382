import { isFleetListed, isSiteName, siteOfRecord } from '../ports/site-records.js';
import type { Versioned } from '../ports/store.js';
import { sharedRecordPartition } from './dynamo-table.js';

/** A record as DynamoStore keeps it (the layout is described in dynamo-store.ts). */
export interface RecordItem {
  pk: string;
  sk: string;
  feed?: string;
  value: string;
  version: number;
  expiresAt?: number;
  ttl?: number;
  token?: string;
  /** An advance record's number (src/aws/dynamo-advance.ts); it reads back as the value `{ n }`. */
  n?: number;
}

/** The conditions that make a stored record "live"; DynamoDB's TTL deletes lazily (up to days later). */
export const LIVE = '(attribute_not_exists(expiresAt) OR expiresAt > :now)';

/** The partition of a record: its site's own for a site namespace. */
export const pkOf = (ns: string, key: string): string => {
  const site = siteOfRecord(ns, key);
  return site === undefined ? sharedRecordPartition(ns) : sitePk(site, ns);
};

export function sitePk(site: string, ns: string): string {
  if (!isSiteName(site)) throw new Error(`store: "${site}" is not a site name`);
  return `site#${site}#${ns}`;
}

/** The read-side twin of LIVE. */
export const isLive = (item: RecordItem | undefined, now: number): item is RecordItem =>
  item !== undefined && (item.expiresAt === undefined || item.expiresAt > now);

/** The item for a record's value at `version`, expiring `ttlMs` after `now` when given. */
export function recordItem<T>(
  ns: string,
  key: string,
  value: T,
  version: number,
  now: number,
  ttlMs?: number,
): RecordItem {
  const item: RecordItem = { pk: pkOf(ns, key), sk: key, value: JSON.stringify(value), version };
  if (isFleetListed(ns)) item.feed = sharedRecordPartition(ns);
  if (ttlMs !== undefined) {
    item.expiresAt = now + ttlMs;
    item.ttl = Math.ceil(item.expiresAt / 1000);
  }
  return item;
}

export function toVersioned<T>(item: RecordItem): Versioned<T> {
  return {
    value: (typeof item.n === 'number' ? { n: item.n } : JSON.parse(item.value)) as T,
    version: item.version,
    expiresAt: item.expiresAt ?? null,
    ...(item.token === undefined ? {} : { token: item.token }),
  };
}
