import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AdvanceRequest, AdvanceResult } from '../ports/store.js';
import { decideAdvance } from '../ports/store-advance.js';
import { isLive, LIVE, pkOf, type RecordItem, recordItem } from './dynamo-record-item.js';
import { STORE_TTL_ATTRIBUTE, type StoreTable } from './dynamo-table.js';
import { conditional } from './dynamo-writes.js';

/** Attribute holding an advance record's number (a DynamoDB number, so an update can add to it). */
const N = 'n';
/** Rounds of (increment, start again, read) before giving up: each round lost means another writer won one. */
const ROUNDS = 5;

/**
 * Store.advance in DynamoDB: the rule of src/ports/store-advance.ts as write conditions, so the common case is
 * one UpdateItem (`n = n + :inc`, while `floor <= n <= ceiling`) and no caller reads first or loses a race.
 * A record that is absent, expired, behind the floor, or no honest writer's is put afresh from the floor
 * (one PutItem, conditional on exactly that). Only a record above the ceiling costs a read: the caller learns
 * the stored number and nothing is written. The number reads back through get/list as `{ n }`.
 */
export async function advanceItem(
  table: StoreTable,
  ns: string,
  key: string,
  request: AdvanceRequest,
): Promise<AdvanceResult> {
  const Key = { pk: pkOf(ns, key), sk: key };
  for (let round = 0; round < ROUNDS; round++) {
    const now = table.clock.now();
    const expiresAt = now + request.ttlMs;
    const moved = await incremented(table, Key, request, now, expiresAt);
    if (moved !== undefined) return { advanced: true, value: moved, replaced: false };
    const fresh = await startedAgain(table, ns, key, request, now);
    if (fresh) return fresh;
    const out = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key, ConsistentRead: true }),
    );
    const item = out.Item as RecordItem | undefined;
    const live = isLive(item, table.clock.now());
    const stored = live && typeof item.n === 'number' ? item.n : undefined;
    const verdict = decideAdvance(live, stored, request);
    if (!verdict.advanced) return verdict;
    // The record changed between the writes: another writer got in; go round again.
  }
  throw new Error(`advance ${ns}/${key}: gave up after ${ROUNDS} rounds of concurrent writes`);
}

async function incremented(
  table: StoreTable,
  Key: { pk: string; sk: string },
  request: AdvanceRequest,
  now: number,
  expiresAt: number,
): Promise<number | undefined> {
  let value: number | undefined;
  const done = await conditional(async () => {
    const out = await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key,
        UpdateExpression: 'SET #n = #n + :inc, expiresAt = :exp, #ttl = :ttl, version = version + :one',
        ConditionExpression: `attribute_exists(pk) AND ${LIVE} AND attribute_type(#n, :num) AND #n BETWEEN :floor AND :ceiling`,
        ExpressionAttributeNames: { '#n': N, '#ttl': STORE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':inc': request.increment,
          ':exp': expiresAt,
          ':ttl': Math.ceil(expiresAt / 1000),
          ':one': 1,
          ':now': now,
          ':num': 'N',
          ':floor': request.floor,
          // A number past replaceAbove is replaced, whatever the ceiling (the rule in store-advance.ts).
          ':ceiling': Math.min(request.ceiling, request.replaceAbove),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    value = out.Attributes?.[N] as number | undefined;
  });
  return done ? value : undefined;
}

/** Puts the record afresh from the floor, if it is absent, expired, behind the floor or no honest writer's. */
async function startedAgain(
  table: StoreTable,
  ns: string,
  key: string,
  request: AdvanceRequest,
  now: number,
): Promise<AdvanceResult | undefined> {
  const value = request.floor + request.increment;
  const item = { ...recordItem(ns, key, null, 1, now, request.ttlMs), [N]: value };
  let old: RecordItem | undefined;
  const done = await conditional(async () => {
    const out = await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression:
          'attribute_not_exists(pk) OR expiresAt <= :now OR NOT attribute_type(#n, :num) OR #n < :floor OR #n > :forged',
        ExpressionAttributeNames: { '#n': N },
        ExpressionAttributeValues: {
          ':now': now,
          ':num': 'N',
          ':floor': request.floor,
          ':forged': request.replaceAbove,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    old = out.Attributes as typeof old;
  });
  if (!done) return undefined;
  const replaced = isLive(old, now) && (typeof old.n !== 'number' || old.n > request.replaceAbove);
  return { advanced: true, value, replaced };
}
