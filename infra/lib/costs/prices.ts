/**
 * List prices used by the cost table (docs/costs.md), us-east-1, on-demand, USD, without free tiers. Check them
 * against AWS's pricing pages for your region before you rely on a figure; a month is 730 hours.
 */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export const PRICES = {
  /** EC2 on-demand, per hour, Linux. */
  instanceHour: { 't3.small': 0.0208, 't3.medium': 0.0416, 'c6i.large': 0.085 } as Record<string, number>,
  /** EBS gp3, per GiB-month (3,000 IOPS and 125 MB/s included). */
  gp3GiBMonth: 0.08,
  /** Every public IPv4 address, in use or not, per hour (since 2024-02). */
  publicIpv4Hour: 0.005,
  /** EC2 detailed monitoring: 7 metrics per instance at the custom-metric price. */
  detailedMonitoringInstanceMonth: 7 * 0.3,
  /** CloudWatch custom metric (high-resolution or not), per metric-month. */
  customMetricMonth: 0.3,
  /** CloudWatch alarm per month: standard (period >= 60 s) and high-resolution (period < 60 s). */
  alarmStandardMonth: 0.1,
  alarmHighResolutionMonth: 0.3,
  /** CloudWatch API requests (PutMetricData, GetMetricData, DescribeAlarms ...), per 1,000. */
  cloudWatchRequestPer1000: 0.01,
  /** CloudWatch Logs ingestion per GB (storage $0.03/GB-month is negligible at these volumes). */
  logsIngestGB: 0.5,
  /** Lambda arm64: per GB-second and per million requests. */
  lambdaArmGBSecond: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
  /** EventBridge Scheduler, per million invocations (the first 14 million a month are free). */
  schedulerInvocationPerMillion: 1,
  /** DynamoDB on-demand, per million write and read request units. */
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  /** KMS customer-managed key, per month (requests beyond are $0.03 per 10,000, negligible here). */
  kmsKeyMonth: 1,
  /** Secrets Manager, per secret-month. */
  secretMonth: 0.4,
  /** Fargate Linux x86, per vCPU-hour and per GB-hour. */
  fargateVcpuHour: 0.04048,
  fargateGBHour: 0.004445,
  /** Application Load Balancer per hour, and per LCU-hour (a quiet bot uses well under 1 LCU). */
  albHour: 0.0225,
  albLcuHour: 0.008,
  /** ECR storage per GB-month. */
  ecrGBMonth: 0.1,
  /** AWS Site-to-Site VPN, per connection-hour (two tunnels per connection), and Transit Gateway attachment-hour. */
  s2sConnectionHour: 0.05,
  tgwAttachmentHour: 0.05,
} as const;
