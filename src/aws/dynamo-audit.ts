import { randomBytes } from 'node:crypto';
import { AUDIT_RETENTION_MS, type AuditEntry } from '../domain/audit.js';
import type { AuditPage, AuditPageQuery, AuditQuery } from '../ports/store.js';
import { batchPut } from './dynamo-batches.js';
import { type PartitionQuery, queryPartition } from './dynamo-query.js';
import { AUDIT_FEED_ATTRIBUTE, STORE_TTL_ATTRIBUTE, type StoreTable } from './dynamo-table.js';
import type { Transactions } from './dynamo-writes.js';

/** The all-sites audit copies of entries written before the feed index (read, never written). */
const LEGACY_AUDIT_ALL = 'audit#all';
/** The value of the feed index's key on every audit entry. */
const AUDIT_FEED = 'audit';
const auditSitePk = (site: string): string => `audit#site#${site}`;

type AuditItem = { sk: string; entry: string };

/**
 * DynamoStore's audit log: each entry in its site's partition; the all-sites view is the feed index over every
 * site's entries, so a writer fenced to its own site (a server host) still shows in it.
 */
export class DynamoAuditLog {
  /** Audit sort keys: time, then a per-process sequence, then a writer id so two processes never collide. */
  private readonly writer = randomBytes(4).toString('hex');
  private seq = 0;
  private lastAuditMs = 0;

  constructor(
    private readonly table: StoreTable,
    private readonly transactions: Transactions,
  ) {}

  async append(entry: AuditEntry): Promise<void> {
    let puts: ReturnType<DynamoAuditLog['puts']> | undefined;
    const built = () => (puts ??= this.puts(entry));
    if (await this.transactions.write(built)) return;
    await batchPut(
      this.table,
      built().map((p) => p.Put.Item),
      'appendAudit',
    );
  }

  /** The entry in its site's partition, under a fresh sort key, carrying the feed index's key. */
  puts(entry: AuditEntry) {
    const sk = this.nextSk();
    const now = this.table.clock.now();
    return [
      {
        // A fresh sort key never exists; the condition makes a clash an error instead of an overwrite.
        Put: {
          TableName: this.table.tableName,
          Item: {
            pk: auditSitePk(entry.site),
            sk,
            entry: JSON.stringify(entry),
            [AUDIT_FEED_ATTRIBUTE]: AUDIT_FEED,
            [STORE_TTL_ATTRIBUTE]: Math.ceil((now + AUDIT_RETENTION_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    if (wanted <= 0) return [];
    const newestFirst: AuditEntry[] = [];
    const limit = Number.isFinite(wanted) ? { limit: wanted } : {};
    for await (const item of this.newestFirst(query.site, limit)) {
      newestFirst.push(JSON.parse(item.entry) as AuditEntry);
      if (newestFirst.length >= wanted) break;
    }
    return newestFirst.reverse();
  }

  async page(query: AuditPageQuery): Promise<AuditPage> {
    const items: AuditItem[] = [];
    // One more than asked tells whether another page follows.
    for await (const item of this.newestFirst(query.site, {
      limit: query.limit + 1,
      ...(query.before === undefined ? {} : { skBefore: query.before }),
    })) {
      items.push(item);
      if (items.length > query.limit) break;
    }
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    return {
      entries: page.map((i) => JSON.parse(i.entry) as AuditEntry),
      next: items.length > query.limit && last ? last.sk : null,
    };
  }

  private nextSk(): string {
    const ms = Math.max(this.table.clock.now(), this.lastAuditMs);
    this.lastAuditMs = ms;
    this.seq += 1;
    return `${new Date(ms).toISOString()}#${String(this.seq).padStart(12, '0')}#${this.writer}`;
  }

  /**
   * Audit items newest first: one site's partition, or for all sites the feed index merged with the entries
   * written before it (LEGACY_AUDIT_ALL).
   */
  private newestFirst(
    site: string | undefined,
    opts: Pick<PartitionQuery, 'limit' | 'skBefore'>,
  ): AsyncGenerator<AuditItem> {
    const base = { newestFirst: true, ...opts };
    if (site !== undefined) return queryPartition<AuditItem>(this.table, auditSitePk(site), base);
    return mergeNewestFirst(
      queryPartition<AuditItem>(this.table, AUDIT_FEED, { ...base, feedIndex: true }),
      queryPartition<AuditItem>(this.table, LEGACY_AUDIT_ALL, base),
    );
  }
}

/** Two newest-first streams as one; sort keys start with the time, so the merge keeps time order. */
async function* mergeNewestFirst(
  feed: AsyncGenerator<AuditItem>,
  legacy: AsyncGenerator<AuditItem>,
): AsyncGenerator<AuditItem> {
  let a = await feed.next();
  let b = await legacy.next();
  while (!a.done || !b.done) {
    if (b.done || (!a.done && a.value.sk > b.value.sk)) {
      yield a.value as AuditItem;
      a = await feed.next();
    } else {
      yield b.value;
      b = await legacy.next();
    }
  }
}
