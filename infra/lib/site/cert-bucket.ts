import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogBucket } from '../common/access-log-bucket.js';

/**
 * Server certificates, keys, CA and tls-crypt keys, one prefix per server (`<site>/<tunnel>/`): SSE-KMS with
 * a customer key (rotated), no public access, TLS only, versioned, access-logged. Each instance role reads
 * only its own prefix (see tunnel-instance-role.ts); the reference design let every server read every cert.
 */
export class CertBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'tunnelops server certificates',
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // Without bucket keys, S3 passes each object's ARN as the KMS encryption context, so kms:Decrypt can be
      // limited to one server's prefix as well (with a bucket key the context is only the bucket).
      bucketKeyEnabled: false,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogBucket(this, 'AccessLogs'),
      serverAccessLogsPrefix: 'certs/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
