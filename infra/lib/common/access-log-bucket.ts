import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/**
 * Target bucket for S3 server access logs and ALB access logs. Both log deliveries require SSE-S3
 * (they cannot write with a customer KMS key), so this bucket alone uses S3-managed encryption.
 */
export function accessLogBucket(scope: Construct, id: string): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledge(bucket, [
    {
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log target bucket itself; logging it into itself would loop and another log bucket only moves the finding.',
    },
  ]);
  return bucket;
}
