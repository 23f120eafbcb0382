import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { STATE_TABLE_NAME } from '../naming.js';

/** The store behind src/aws/dynamo-store.ts: locks, approvals, heartbeats, dedupe (TTL) and the audit trail. */
export function stateTable(scope: Construct): dynamodb.Table {
  return new dynamodb.Table(scope, 'StateTable', {
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
}
