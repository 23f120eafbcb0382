import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { retriesOutsideBudget } from './budgeted-retries.js';

const USER_AGENT = 'tunnelops/0.1';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientsOptions {
  /** Sends every call here instead of AWS (LocalStack, the bench's fake server). From AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Static credentials (tests pass fake ones); otherwise the SDK's default provider chain. */
  credentials?: AwsCredentials;
  /** Attempts per call including the first; status prefers a quick "unknown" over long retries. */
  maxAttempts?: number;
  /** Per-attempt socket timeout, so a hung call becomes "unknown, because it timed out". */
  requestTimeoutMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_REQUEST_TIMEOUT_MS = 3000;
/** SQS long polls wait 20 s: their client's request timeout must be longer than that. */
const LONG_POLL_TIMEOUT_MS = 30_000;

/**
 * The one place SDK v3 clients are built: cached per region, with our user agent, the endpoint
 * override, retries and a request timeout. Adapters get this injected and never `new` a client.
 */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly options: AwsClientsOptions = {}) {}

  ec2(region: string): EC2Client {
    return this.cached('ec2', region, (c) => new EC2Client(c));
  }

  /** For calls that take their turn in the account's EC2 request budget: the SDK never retries a throttled one. */
  ec2Budgeted(region: string): EC2Client {
    return this.cached(
      'ec2-budgeted',
      region,
      (c) => new EC2Client({ ...c, retryStrategy: retriesOutsideBudget(c.maxAttempts) }),
    );
  }

  ecs(region: string): ECSClient {
    return this.cached('ecs', region, (c) => new ECSClient(c));
  }

  cloudwatch(region: string): CloudWatchClient {
    return this.cached('cloudwatch', region, (c) => new CloudWatchClient(c));
  }

  dynamodb(region: string): DynamoDBClient {
    return this.cached('dynamodb', region, (c) => new DynamoDBClient(c));
  }

  sqs(region: string): SQSClient {
    return this.cached('sqs', region, (c) => new SQSClient(c));
  }

  /** For ReceiveMessage long polls (20 s): the same config with a request timeout longer than the poll. */
  sqsLongPoll(region: string): SQSClient {
    return this.cached('sqs-long-poll', region, (c) => new SQSClient(c), LONG_POLL_TIMEOUT_MS);
  }

  eventbridge(region: string): EventBridgeClient {
    return this.cached('eventbridge', region, (c) => new EventBridgeClient(c));
  }

  autoscaling(region: string): AutoScalingClient {
    return this.cached('autoscaling', region, (c) => new AutoScalingClient(c));
  }

  secretsManager(region: string): SecretsManagerClient {
    return this.cached('secretsmanager', region, (c) => new SecretsManagerClient(c));
  }

  s3(region: string): S3Client {
    // An endpoint override (moto) has no per-bucket host names: address buckets by path there.
    return this.cached(
      's3',
      region,
      (c) => new S3Client({ ...c, forcePathStyle: Boolean(this.options.endpoint) }),
    );
  }

  /** Closes every client's sockets (keep-alive agents would otherwise hold the process open). */
  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
    this.cache.clear();
  }

  /** The shared client config; exposed for tests of the config itself. */
  config(region: string, timeoutMs?: number) {
    const { endpoint, credentials, maxAttempts } = this.options;
    const requestTimeoutMs = timeoutMs ?? this.options.requestTimeoutMs;
    return {
      region,
      customUserAgent: USER_AGENT,
      maxAttempts: maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      requestHandler: {
        requestTimeout: requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        connectionTimeout: requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        // Without this the handler only logs a warning and keeps waiting.
        throwOnRequestTimeout: true,
      },
      // moto accepts a gzip-compressed PutMetricData with 200 and stores nothing; an override gets plain bodies.
      ...(endpoint ? { endpoint, disableRequestCompression: true } : {}),
      ...(credentials ? { credentials } : {}),
    };
  }

  private cached<T>(
    service: string,
    region: string,
    build: (config: ReturnType<AwsClients['config']>) => T,
    timeoutMs?: number,
  ): T {
    const key = `${service}:${region}`;
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      client = build(this.config(region, timeoutMs));
      this.cache.set(key, client);
    }
    return client;
  }
}

/** The process's one factory, as the environment configures it (AWS_ENDPOINT_URL: moto, LocalStack). */
export const awsClientsFromEnv = (env: { AWS_ENDPOINT_URL?: string | undefined }): AwsClients =>
  new AwsClients(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {});
