// length: not split yet (issue 19 follow-up: one module per part)
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AUDIT_RETENTION_MS, type AuditEntry } from '../domain/audit.js';
import { type Clock, systemClock } from '../ports/clock.js';
import {
  checkFleetList,
  checkSiteList,
  isFleetListed,
  isSiteName,
  siteOfRecord,
} from '../ports/site-records.js';
import type { AuditPage, AuditPageQuery, AuditQuery, Store, Versioned } from '../ports/store.js';
import {
  AUDIT_FEED_ATTRIBUTE,
  AUDIT_FEED_INDEX,
  createStoreTable,
  STORE_TTL_ATTRIBUTE,
  sharedRecordPartition,
  storeTableDefinition,
} from './dynamo-table.js';

/**
 * Single-table layout (infra/ mirrors tableDefinition):
 *  records: pk = "rec#<ns>",          sk = key,  value (JSON), version, expiresAt (ms), ttl (s, DynamoDB TTL),
 *                                                token (a lease's, when created with one)
 *           pk = "site#<site>#<ns>" for the namespaces kept per site (src/ports/site-records.ts)
 *  audit:   pk = "audit#site#<site>", sk = "<ISO time>#<seq>#<writer>", entry (JSON), feed = "audit",
 *           ttl (s: AUDIT_RETENTION_MS after it was written); all sites
 *           newest first through the index on (feed, sk)
 *  fleet:   records of a namespace listed across sites (isFleetListed: the outbox) carry feed = "rec#<ns>", so
 *           the same index lists every site's in one query (Store.listAllSites)
 * Every partition a server host writes or reads starts with its site (`site#<site>#` or `audit#site#<site>`): IAM
 * fences it there with dynamodb:LeadingKeys. Entries written before the index (until 2026-12) also sit under
 * "audit#all"; the all-sites view reads that partition too, so old entries stay listed.
 */
interface RecordItem {
  pk: string;
  sk: string;
  feed?: string;
  value: string;
  version: number;
  expiresAt?: number;
  ttl?: number;
  token?: string;
}

/** The partition of a record: its site's own for a site namespace. */
const pkOf = (ns: string, key: string): string => {
  const site = siteOfRecord(ns, key);
  return site === undefined ? sharedRecordPartition(ns) : sitePk(site, ns);
};
function sitePk(site: string, ns: string): string {
  if (!isSiteName(site)) throw new Error(`store: "${site}" is not a site name`);
  return `site#${site}#${ns}`;
}
/** The all-sites audit copies of entries written before the feed index (read, never written). */
const LEGACY_AUDIT_ALL = 'audit#all';
/** The value of the feed index's key on every audit entry. */
const AUDIT_FEED = 'audit';
const auditSitePk = (site: string): string => `audit#site#${site}`;
/** The conditions that make a stored record "live"; DynamoDB's TTL deletes lazily (up to days later). */
const LIVE = '(attribute_not_exists(expiresAt) OR expiresAt > :now)';
/** Optimistic retries of `put` when a concurrent writer changes the version under us. */
const PUT_ATTEMPTS = 20;
/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;

export class DynamoStore implements Store {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;
  /** Audit sort keys: time, then a per-process sequence, then a writer id so two processes never collide. */
  private readonly writer = randomBytes(4).toString('hex');
  private seq = 0;
  private lastAuditMs = 0;
  private readonly onClose: (() => void) | undefined;
  /** False once the endpoint said it has no TransactWriteItems (dynalite); DynamoDB and moto have it. */
  private transactions = true;

  constructor(props: {
    client: DynamoDBClient | DynamoDBDocumentClient;
    tableName: string;
    clock?: Clock;
    /** Called by close(): the owner of the client decides whether to destroy it (it is usually shared). */
    onClose?: () => void;
  }) {
    this.onClose = props.onClose;
    this.doc =
      props.client instanceof DynamoDBDocumentClient
        ? props.client
        : DynamoDBDocumentClient.from(props.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = props.tableName;
    this.clock = props.clock ?? systemClock;
  }

  /** The table as CloudFormation/CreateTable sees it (src/aws/dynamo-table.ts; infra mirrors it). */
  static tableDefinition(tableName: string): CreateTableCommandInput {
    return storeTableDefinition(tableName);
  }

  static readonly TTL_ATTRIBUTE = STORE_TTL_ATTRIBUTE;

  /** Creates the table (tests, local setups) and turns on TTL where the endpoint supports it. */
  static createTable(client: DynamoDBClient, tableName: string): Promise<void> {
    return createStoreTable(client, tableName);
  }

  private async item(ns: string, key: string): Promise<RecordItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: pkOf(ns, key), sk: key },
        ConsistentRead: true,
      }),
    );
    return out.Item as RecordItem | undefined;
  }

  private live(item: RecordItem | undefined): item is RecordItem {
    return item !== undefined && (item.expiresAt === undefined || item.expiresAt > this.clock.now());
  }

  private record<T>(ns: string, key: string, value: T, version: number, ttlMs?: number): RecordItem {
    const item: RecordItem = { pk: pkOf(ns, key), sk: key, value: JSON.stringify(value), version };
    if (isFleetListed(ns)) item.feed = sharedRecordPartition(ns);
    if (ttlMs !== undefined) {
      item.expiresAt = this.clock.now() + ttlMs;
      item.ttl = Math.ceil(item.expiresAt / 1000);
    }
    return item;
  }

  private toVersioned<T>(item: RecordItem): Versioned<T> {
    return {
      value: JSON.parse(item.value) as T,
      version: item.version,
      expiresAt: item.expiresAt ?? null,
      ...(item.token === undefined ? {} : { token: item.token }),
    };
  }

  /** Runs a conditional write; false when the condition did not hold. */
  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      throw err;
    }
  }

  async get<T>(ns: string, key: string): Promise<Versioned<T> | null> {
    const item = await this.item(ns, key);
    return this.live(item) ? this.toVersioned<T>(item) : null;
  }

  async create<T>(ns: string, key: string, value: T, ttlMs?: number, token?: string): Promise<boolean> {
    const item = this.record(ns, key, value, 1, ttlMs);
    return this.createAt(token === undefined ? item : { ...item, token });
  }

  private createAt(item: RecordItem): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': this.clock.now() },
        }),
      ),
    );
  }

  async put<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<number> {
    // Versions must stay exact under concurrency, so this is a read + conditional write, retried on a race.
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const current = await this.item(ns, key);
      if (!this.live(current)) {
        if (await this.createAt(this.record(ns, key, value, 1, ttlMs))) return 1;
        continue;
      }
      if (await this.compareAndSet(ns, key, current.version, value, ttlMs)) return current.version + 1;
    }
    throw new Error(`put ${ns}/${key}: gave up after ${PUT_ATTEMPTS} concurrent-write retries`);
  }

  async compareAndSet<T>(
    ns: string,
    key: string,
    expectedVersion: number,
    value: T,
    ttlMs?: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    const put = {
      TableName: this.tableName,
      Item: this.record(ns, key, value, expectedVersion + 1, ttlMs),
      ConditionExpression: `version = :v AND ${LIVE}`,
      ExpressionAttributeValues: { ':v': expectedVersion, ':now': this.clock.now() },
    };
    if (audit && this.transactions) {
      try {
        await this.doc.send(
          new TransactWriteCommand({ TransactItems: [{ Put: put }, ...this.auditPuts(audit)] }),
        );
        return true;
      } catch (err) {
        // The record's condition (the first item) failed: a plain "someone else wrote first".
        const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
        if (
          (err as Error).name === 'TransactionCanceledException' &&
          reasons?.[0]?.Code === 'ConditionalCheckFailed'
        )
          return false;
        if ((err as Error).name !== 'UnknownOperationException') throw err;
        this.transactions = false;
      }
    }
    const done = await this.conditional(() => this.doc.send(new PutCommand(put)));
    if (done && audit) await this.appendAudit(audit);
    return done;
  }

  async delete(ns: string, key: string, expectedVersion?: number): Promise<boolean> {
    const versioned = expectedVersion !== undefined;
    return this.conditional(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          ConditionExpression: `attribute_exists(pk) AND ${LIVE}${versioned ? ' AND version = :v' : ''}`,
          ExpressionAttributeValues: {
            ':now': this.clock.now(),
            ...(versioned ? { ':v': expectedVersion } : {}),
          },
        }),
      ),
    );
  }

  async extendIfToken(ns: string, key: string, token: string, ttlMs: number): Promise<boolean> {
    const expiresAt = this.clock.now() + ttlMs;
    return this.conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          UpdateExpression: 'SET expiresAt = :exp, #ttl = :ttl, version = version + :one',
          ConditionExpression: `attribute_exists(pk) AND ${LIVE} AND #token = :token`,
          ExpressionAttributeNames: { '#ttl': STORE_TTL_ATTRIBUTE, '#token': 'token' },
          ExpressionAttributeValues: {
            ':exp': expiresAt,
            ':ttl': Math.ceil(expiresAt / 1000),
            ':one': 1,
            ':now': this.clock.now(),
            ':token': token,
          },
        }),
      ),
    );
  }

  async deleteIfToken(ns: string, key: string, token: string): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          ConditionExpression: `attribute_exists(pk) AND ${LIVE} AND #token = :token`,
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':now': this.clock.now(), ':token': token },
        }),
      ),
    );
  }

  async list<T>(ns: string, opts: { site?: string } = {}): Promise<Array<{ key: string } & Versioned<T>>> {
    checkSiteList(ns, opts.site);
    const pk = opts.site === undefined ? sharedRecordPartition(ns) : sitePk(opts.site, ns);
    const out: Array<{ key: string } & Versioned<T>> = [];
    for await (const item of this.query<RecordItem>(pk)) {
      if (this.live(item)) out.push({ key: item.sk, ...this.toVersioned<T>(item) });
    }
    return out;
  }

  /** BatchGetItem in calls of 100 keys, all at once, retrying what DynamoDB left unprocessed. */
  async getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    const out = new Map<string, Versioned<T>>();
    const unique = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) chunks.push(unique.slice(i, i + BATCH_GET_KEYS));
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: Array<Record<string, unknown>> = chunk.map((key) => ({ pk: pkOf(ns, key), sk: key }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt >= 8) throw new Error(`getMany ${ns}: DynamoDB kept returning unprocessed keys`);
          if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          const res = await this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of (res.Responses?.[this.tableName] ?? []) as RecordItem[])
            if (this.live(item)) out.set(item.sk, this.toVersioned<T>(item));
          pending = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof pending;
        }
      }),
    );
    return out;
  }

  async listAllSites<T>(ns: string): Promise<Array<{ key: string } & Versioned<T>>> {
    checkFleetList(ns);
    const out: Array<{ key: string } & Versioned<T>> = [];
    for await (const item of this.query<RecordItem>(sharedRecordPartition(ns), { feedIndex: true })) {
      if (this.live(item)) out.push({ key: item.sk, ...this.toVersioned<T>(item) });
    }
    return out;
  }

  /** One partition's items, page after page; a caller that stops iterating stops the paging. */
  private async *query<I>(
    pk: string,
    opts: { newestFirst?: boolean; limit?: number; skBefore?: string; feedIndex?: boolean } = {},
  ): AsyncGenerator<I> {
    let start: Record<string, unknown> | undefined;
    // The feed index is keyed by its own attribute and, like every global index, read eventually consistent.
    const key = opts.feedIndex ? AUDIT_FEED_ATTRIBUTE : 'pk';
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(opts.feedIndex ? { IndexName: AUDIT_FEED_INDEX } : { ConsistentRead: true }),
          KeyConditionExpression: opts.skBefore === undefined ? '#k = :pk' : '#k = :pk AND sk < :before',
          ExpressionAttributeNames: { '#k': key },
          ExpressionAttributeValues: {
            ':pk': pk,
            ...(opts.skBefore === undefined ? {} : { ':before': opts.skBefore }),
          },
          ExclusiveStartKey: start,
          ...(opts.newestFirst ? { ScanIndexForward: false } : {}),
          ...(opts.limit !== undefined ? { Limit: opts.limit } : {}),
        }),
      );
      yield* (page.Items ?? []) as I[];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  private nextAuditSk(): string {
    const ms = Math.max(this.clock.now(), this.lastAuditMs);
    this.lastAuditMs = ms;
    this.seq += 1;
    return `${new Date(ms).toISOString()}#${String(this.seq).padStart(12, '0')}#${this.writer}`;
  }

  /**
   * One item in the entry's site partition; the all-sites view is the feed index over every site's entries,
   * so a writer fenced to its own site (a server host) still shows in it.
   */
  async appendAudit(entry: AuditEntry): Promise<void> {
    const puts = this.auditPuts(entry);
    if (this.transactions) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: puts }));
        return;
      } catch (err) {
        if ((err as Error).name !== 'UnknownOperationException') throw err;
        this.transactions = false;
      }
    }
    await this.batchPut(puts.map((p) => p.Put.Item));
  }

  /** The entry in its site's partition, under a fresh sort key, carrying the feed index's key. */
  private auditPuts(entry: AuditEntry) {
    const sk = this.nextAuditSk();
    return [
      {
        // A fresh sort key never exists; the condition makes a clash an error instead of an overwrite.
        Put: {
          TableName: this.tableName,
          Item: {
            pk: auditSitePk(entry.site),
            sk,
            entry: JSON.stringify(entry),
            [AUDIT_FEED_ATTRIBUTE]: AUDIT_FEED,
            [STORE_TTL_ATTRIBUTE]: Math.ceil((this.clock.now() + AUDIT_RETENTION_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  /**
   * Audit items newest first: one site's partition, or for all sites the feed index merged with the entries
   * written before it (LEGACY_AUDIT_ALL). Sort keys start with the time, so the merge keeps time order.
   */
  private async *auditNewestFirst<I extends { sk: string }>(
    site: string | undefined,
    opts: { limit?: number; skBefore?: string },
  ): AsyncGenerator<I> {
    const base = { newestFirst: true, ...opts };
    if (site !== undefined) {
      yield* this.query<I>(auditSitePk(site), base);
      return;
    }
    const feed = this.query<I>(AUDIT_FEED, { ...base, feedIndex: true });
    const legacy = this.query<I>(LEGACY_AUDIT_ALL, base);
    let a = await feed.next();
    let b = await legacy.next();
    while (!a.done || !b.done) {
      if (b.done || (!a.done && a.value.sk > b.value.sk)) {
        yield a.value as I;
        a = await feed.next();
      } else {
        yield b.value;
        b = await legacy.next();
      }
    }
  }

  /** Without transactions (dynalite): a batch write, retrying what DynamoDB left unprocessed. */
  private async batchPut(items: Array<Record<string, unknown>>): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= 8) throw new Error('appendAudit: DynamoDB kept returning unprocessed items');
      const out = await this.doc.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
      );
      requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      if (requests.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    if (wanted <= 0) return [];
    const newestFirst: AuditEntry[] = [];
    const limit = Number.isFinite(wanted) ? { limit: wanted } : {};
    for await (const item of this.auditNewestFirst<{ sk: string; entry: string }>(query.site, limit)) {
      newestFirst.push(JSON.parse(item.entry) as AuditEntry);
      if (newestFirst.length >= wanted) break;
    }
    return newestFirst.reverse();
  }

  async pageAudit(query: AuditPageQuery): Promise<AuditPage> {
    const items: Array<{ sk: string; entry: string }> = [];
    // One more than asked tells whether another page follows.
    for await (const item of this.auditNewestFirst<{ sk: string; entry: string }>(query.site, {
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

  /** The client usually comes from the shared factory (src/aws/clients.ts), so closing is the owner's call. */
  async close(): Promise<void> {
    this.onClose?.();
  }
}
