import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreTable } from './dynamo-table.js';

/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
/** Calls of a batch that DynamoDB keeps leaving unprocessed before giving up. */
const BATCH_ATTEMPTS = 8;

const backoff = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, 50 * 2 ** attempt));

type Key = { pk: string; sk: string };

/** The items of these keys (consistent reads), in calls of 100 keys all at once, retrying unprocessed keys. */
export async function batchGet<I>(table: StoreTable, keys: Key[], what: string): Promise<I[]> {
  const chunks: Key[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) chunks.push(keys.slice(i, i + BATCH_GET_KEYS));
  const found = await Promise.all(chunks.map((chunk) => batchGetChunk<I>(table, chunk, what)));
  return found.flat();
}

async function batchGetChunk<I>(table: StoreTable, chunk: Key[], what: string): Promise<I[]> {
  const out: I[] = [];
  let pending: Array<Record<string, unknown>> = chunk;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= BATCH_ATTEMPTS) throw new Error(`${what}: DynamoDB kept returning unprocessed keys`);
    if (attempt > 0) await backoff(attempt);
    const res = await table.doc.send(
      new BatchGetCommand({
        RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: true } },
      }),
    );
    out.push(...((res.Responses?.[table.tableName] ?? []) as I[]));
    pending = (res.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as typeof pending;
  }
  return out;
}

/** A batch write of whole items, retrying what DynamoDB left unprocessed (the store's path without transactions). */
export async function batchPut(
  table: StoreTable,
  items: Array<Record<string, unknown>>,
  what: string,
): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt >= BATCH_ATTEMPTS) throw new Error(`${what}: DynamoDB kept returning unprocessed items`);
    const out = await table.doc.send(
      new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }),
    );
    requests = (out.UnprocessedItems?.[table.tableName] ?? []) as typeof requests;
    if (requests.length > 0) await backoff(attempt);
  }
}
