import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { AUDIT_FEED_ATTRIBUTE, AUDIT_FEED_INDEX } from '../../../src/aws/dynamo-table.js';
import { STATE_TABLE_NAME } from '../naming.js';

/** The store behind src/aws/dynamo-store.ts: locks, approvals, heartbeats, dedupe (TTL) and the audit trail. */
export function stateTable(scope: Construct): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'StateTable', {
    tableName: STATE_TABLE_NAME,
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'ttl',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: true,
    // The audit trail outlives the stack.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // The all-sites audit view (each entry lives in its site's partition; src/aws/dynamo-store.ts).
  table.addGlobalSecondaryIndex({
    indexName: AUDIT_FEED_INDEX,
    partitionKey: { name: AUDIT_FEED_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}
