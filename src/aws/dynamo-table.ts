import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock.js';

/** DynamoDB deletes items whose `ttl` (epoch seconds) has passed, lazily; the store also checks expiry on read. */
export const STORE_TTL_ATTRIBUTE = 'ttl';

/**
 * The all-sites audit view: a global index on (feed, sk) over the audit entries, which each live in their own
 * site's partition (so a host fenced to its site can still write them).
 */
export const AUDIT_FEED_INDEX = 'audit-feed';
export const AUDIT_FEED_ATTRIBUTE = 'feed';

/** The partition of a namespace's records when they belong to no one site (src/ports/site-records.ts). */
export const sharedRecordPartition = (ns: string): string => `rec#${ns}`;

/** The state table of DynamoStore: on-demand, string pk/sk, the audit feed index. infra/ declares the same. */
export function storeTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: AUDIT_FEED_ATTRIBUTE, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: AUDIT_FEED_INDEX,
        KeySchema: [
          { AttributeName: AUDIT_FEED_ATTRIBUTE, KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Creates the table (tests, local setups), waits until it is active and turns on TTL where supported. */
export async function createStoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(storeTableDefinition(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: STORE_TTL_ATTRIBUTE },
      }),
    );
  } catch (err) {
    // dynalite has no TTL API; expiry is enforced on read anyway.
    if (!/UnknownOperation/.test((err as Error).name ?? '')) throw err;
  }
}

/** What every part of DynamoStore works on: the document client, the table, and the clock that says "now". */
export interface StoreTable {
  doc: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
}
