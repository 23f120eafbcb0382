import { z } from 'zod';

/**
 * Process environment of the bot/app. Parsed once at the entry point; infra/ types the bot's
 * container environment from this same schema so it cannot forget a variable.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Loopback by default; a deployed bot sets 0.0.0.0 (and then needs TUNNELOPS_API_TOKEN). */
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log lines as text on a terminal, JSON otherwise (auto); or always one of them. */
  LOG_FORMAT: z.enum(['auto', 'text', 'json']).default('auto'),
  TUNNELOPS_TOPOLOGY: z.string().default('tunnels.yml'),
  TUNNELOPS_DATA_DIR: z.string().default('.data'),
  /** Sandbox only: '0' skips the demo site's generated PKI (and so its certificate messages). */
  TUNNELOPS_SANDBOX_PKI: z.enum(['0', '1']).default('1'),
  /** Bearer token for /api/*; when unset the API is open (sandbox). */
  TUNNELOPS_API_TOKEN: optionalString,
  /**
   * "1" lets a non-sandbox server listen on a non-loopback HOST without TUNNELOPS_API_TOKEN (e.g. behind a
   * proxy that authenticates). Without it such a start is refused: /api/* would be open to the network.
   */
  TUNNELOPS_API_OPEN: z
    .enum(['', '0', '1', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  /** "dynamodb:<table>" uses DynamoDB; otherwise SQLite in the data dir. */
  TUNNELOPS_STORE: optionalString,
  /** Comma-separated SNS topic ARNs whose messages are accepted at /sns. */
  TUNNELOPS_SNS_TOPIC_ARNS: optionalString,
  /** SQS queue (SNS -> SQS) the bot long-polls for alarms, so none is lost while it restarts. */
  TUNNELOPS_ALARM_QUEUE_URL: optionalString,
  /**
   * EC2 request budget shared through the store, per API: "mutating=200/5,nonMutating=100/20" (AWS's
   * defaults; set what AWS granted after a limit increase). See src/aws/ec2-request-budget.ts.
   */
  TUNNELOPS_EC2_BUDGET: optionalString,
  /** The one site a failover controller Lambda evaluates (each site has its own controller). */
  TUNNELOPS_SITE: optionalString,
  /**
   * How long an approved failover's run may go unrenewed before another replica's sweep reports it as
   * interrupted (renewed every quarter while it runs). Default 300 s.
   */
  TUNNELOPS_FAILOVER_LEASE_SECONDS: z.coerce.number().int().min(4).max(3600).optional(),
  /** Channel for alarms that map to no site (default: the first site's channel). */
  TUNNELOPS_ALARM_CHANNEL: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalString,
  /** Any of these switches the account from simulated to AWS. */
  AWS_REGION: optionalString,
  AWS_PROFILE: optionalString,
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: optionalString,
  /** Overrides the AWS endpoint (LocalStack, tests). */
  AWS_ENDPOINT_URL: optionalString,
  WEBHOOK_SECRET: optionalString,
  APP_ID: optionalString,
  PRIVATE_KEY: optionalString,
  GITHUB_API_URL: optionalString,
  /** Environments `/deploy <env>` accepts (comma-separated). */
  TUNNELOPS_DEPLOY_ENVIRONMENTS: z.string().default('staging,prod'),
  /** Name of the workflow that runs `cdk diff` for PRs and uploads the `cdk-diff` artifact. */
  TUNNELOPS_DIFF_WORKFLOW: z.string().default('cdk-diff'),
});

export type Env = z.infer<typeof envSchema>;
