import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIT_FEED_ATTRIBUTE, AUDIT_FEED_INDEX, type StoreTable } from './dynamo-table.js';

export interface PartitionQuery {
  newestFirst?: boolean;
  limit?: number;
  skBefore?: string;
  /** Read the feed index (keyed by its own attribute) instead of the table's partition key. */
  feedIndex?: boolean;
}

/** One partition's items, page after page; a caller that stops iterating stops the paging. */
export async function* queryPartition<I>(
  table: StoreTable,
  pk: string,
  opts: PartitionQuery = {},
): AsyncGenerator<I> {
  let start: Record<string, unknown> | undefined;
  // The feed index is keyed by its own attribute and, like every global index, read eventually consistent.
  const key = opts.feedIndex ? AUDIT_FEED_ATTRIBUTE : 'pk';
  do {
    const page = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
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
