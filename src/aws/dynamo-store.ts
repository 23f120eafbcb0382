import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../domain/audit.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { checkFleetList, checkSiteList } from '../ports/site-records.js';
import type {
  AdvanceRequest,
  AdvanceResult,
  AuditPage,
  AuditPageQuery,
  AuditQuery,
  Store,
  Versioned,
} from '../ports/store.js';
import { advanceItem } from './dynamo-advance.js';
import { DynamoAuditLog } from './dynamo-audit.js';
import { batchGet } from './dynamo-batches.js';
import { queryPartition } from './dynamo-query.js';
import {
  isLive,
  LIVE,
  pkOf,
  type RecordItem,
  recordItem,
  sitePk,
  toVersioned,
} from './dynamo-record-item.js';
import {
  createStoreTable,
  STORE_TTL_ATTRIBUTE,
  type StoreTable,
  sharedRecordPartition,
  storeTableDefinition,
} from './dynamo-table.js';
import { conditional, firstConditionFailed, Transactions } from './dynamo-writes.js';

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
 * Records are written here (dynamo-record-item.ts shapes them); the audit log is dynamo-audit.ts.
 */

/** Optimistic retries of `put` when a concurrent writer changes the version under us. */
const PUT_ATTEMPTS = 20;

export class DynamoStore implements Store {
  private readonly table: StoreTable;
  private readonly audit: DynamoAuditLog;
  private readonly transactions: Transactions;
  private readonly onClose: (() => void) | undefined;

  constructor(props: {
    client: DynamoDBClient | DynamoDBDocumentClient;
    tableName: string;
    clock?: Clock;
    /** Called by close(): the owner of the client decides whether to destroy it (it is usually shared). */
    onClose?: () => void;
  }) {
    this.onClose = props.onClose;
    const doc =
      props.client instanceof DynamoDBDocumentClient
        ? props.client
        : DynamoDBDocumentClient.from(props.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = { doc, tableName: props.tableName, clock: props.clock ?? systemClock };
    this.transactions = new Transactions(doc);
    this.audit = new DynamoAuditLog(this.table, this.transactions);
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

  private now(): number {
    return this.table.clock.now();
  }

  private async item(ns: string, key: string): Promise<RecordItem | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: { pk: pkOf(ns, key), sk: key },
        ConsistentRead: true,
      }),
    );
    return out.Item as RecordItem | undefined;
  }

  async get<T>(ns: string, key: string): Promise<Versioned<T> | null> {
    const item = await this.item(ns, key);
    return isLive(item, this.now()) ? toVersioned<T>(item) : null;
  }

  async create<T>(ns: string, key: string, value: T, ttlMs?: number, token?: string): Promise<boolean> {
    const item = recordItem(ns, key, value, 1, this.now(), ttlMs);
    return this.createAt(token === undefined ? item : { ...item, token });
  }

  private createAt(item: RecordItem): Promise<boolean> {
    return conditional(() =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': this.now() },
        }),
      ),
    );
  }

  async put<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<number> {
    // Versions must stay exact under concurrency, so this is a read + conditional write, retried on a race.
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const current = await this.item(ns, key);
      if (!isLive(current, this.now())) {
        if (await this.createAt(recordItem(ns, key, value, 1, this.now(), ttlMs))) return 1;
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
      TableName: this.table.tableName,
      Item: recordItem(ns, key, value, expectedVersion + 1, this.now(), ttlMs),
      ConditionExpression: `version = :v AND ${LIVE}`,
      ExpressionAttributeValues: { ':v': expectedVersion, ':now': this.now() },
    };
    if (audit) {
      try {
        if (await this.transactions.write(() => [{ Put: put }, ...this.audit.puts(audit)])) return true;
      } catch (err) {
        if (firstConditionFailed(err)) return false;
        throw err;
      }
    }
    const done = await conditional(() => this.table.doc.send(new PutCommand(put)));
    if (done && audit) await this.audit.append(audit);
    return done;
  }

  async delete(ns: string, key: string, expectedVersion?: number): Promise<boolean> {
    const versioned = expectedVersion !== undefined;
    return conditional(() =>
      this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          ConditionExpression: `attribute_exists(pk) AND ${LIVE}${versioned ? ' AND version = :v' : ''}`,
          ExpressionAttributeValues: {
            ':now': this.now(),
            ...(versioned ? { ':v': expectedVersion } : {}),
          },
        }),
      ),
    );
  }

  async extendIfToken(ns: string, key: string, token: string, ttlMs: number): Promise<boolean> {
    const expiresAt = this.now() + ttlMs;
    return conditional(() =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          UpdateExpression: 'SET expiresAt = :exp, #ttl = :ttl, version = version + :one',
          ConditionExpression: `attribute_exists(pk) AND ${LIVE} AND #token = :token`,
          ExpressionAttributeNames: { '#ttl': STORE_TTL_ATTRIBUTE, '#token': 'token' },
          ExpressionAttributeValues: {
            ':exp': expiresAt,
            ':ttl': Math.ceil(expiresAt / 1000),
            ':one': 1,
            ':now': this.now(),
            ':token': token,
          },
        }),
      ),
    );
  }

  async deleteIfToken(ns: string, key: string, token: string): Promise<boolean> {
    return conditional(() =>
      this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: { pk: pkOf(ns, key), sk: key },
          ConditionExpression: `attribute_exists(pk) AND ${LIVE} AND #token = :token`,
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':now': this.now(), ':token': token },
        }),
      ),
    );
  }

  async list<T>(ns: string, opts: { site?: string } = {}): Promise<Array<{ key: string } & Versioned<T>>> {
    checkSiteList(ns, opts.site);
    return this.livePartition<T>(opts.site === undefined ? sharedRecordPartition(ns) : sitePk(opts.site, ns));
  }

  /** BatchGetItem in calls of 100 keys, all at once, retrying what DynamoDB left unprocessed. */
  async getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    const unique = [...new Set(keys)].map((key) => ({ pk: pkOf(ns, key), sk: key }));
    const out = new Map<string, Versioned<T>>();
    for (const item of await batchGet<RecordItem>(this.table, unique, `getMany ${ns}`))
      if (isLive(item, this.now())) out.set(item.sk, toVersioned<T>(item));
    return out;
  }

  async listAllSites<T>(ns: string): Promise<Array<{ key: string } & Versioned<T>>> {
    checkFleetList(ns);
    return this.livePartition<T>(sharedRecordPartition(ns), true);
  }

  /** The live records of a partition (or, through the feed index, of every site's partition of a namespace). */
  private async livePartition<T>(
    pk: string,
    feedIndex = false,
  ): Promise<Array<{ key: string } & Versioned<T>>> {
    const out: Array<{ key: string } & Versioned<T>> = [];
    for await (const item of queryPartition<RecordItem>(this.table, pk, feedIndex ? { feedIndex } : {})) {
      if (isLive(item, this.now())) out.push({ key: item.sk, ...toVersioned<T>(item) });
    }
    return out;
  }

  advance(ns: string, key: string, request: AdvanceRequest): Promise<AdvanceResult> {
    return advanceItem(this.table, ns, key, request);
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.audit.append(entry);
  }

  listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.audit.list(query);
  }

  pageAudit(query: AuditPageQuery): Promise<AuditPage> {
    return this.audit.page(query);
  }

  /** The client usually comes from the shared factory (src/aws/clients.ts), so closing is the owner's call. */
  async close(): Promise<void> {
    this.onClose?.();
  }
}
