import type { Node } from 'constructs';
import { z } from 'zod';
import { formatZodError } from '../../../src/config/format-zod-error.js';
import { ConfigError } from '../../../src/domain/errors.js';

/**
 * CDK context (cdk.json `context`, or `-c key=value`): where to deploy. Everything about the tunnels
 * themselves comes from the topology file. Lists may be given as JSON arrays or comma-separated strings.
 */
const list = (what: string) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(z.string().min(1), { error: `set ${what} as a list (JSON array or comma-separated)` }),
  );
/** A required string: the same fix-it message whether it is missing or malformed. */
const text = (pattern: RegExp, fix: string) => z.string({ error: fix }).regex(pattern, fix);
const subnetIds = (what: string) =>
  list(what).pipe(
    z.array(
      z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id such as subnet-0123456789abcdef0'),
    ),
  );

/** Two replicas: one per AZ of a two-AZ VPC. */
export const DEFAULT_BOT_REPLICAS = 2;

export const infraContextSchema = z
  .object({
    /** Path of the topology file, relative to the repository root. */
    topology: z.string().min(1).default('tunnels.yml'),
    account: text(/^\d{12}$/, 'set -c account=<12-digit AWS account id>'),
    region: text(/^[a-z]{2}(-[a-z]+)+-\d$/, 'set -c region=<region code such as eu-west-1>'),
    vpcId: text(/^vpc-[0-9a-f]{8,17}$/, 'set -c vpcId=<the VPC of the route tables in tunnels.yml>'),
    vpcCidr: text(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'set -c vpcCidr=<the VPC CIDR, pushed to on-prem>'),
    /** AZs of the VPC; publicSubnetIds[i] and privateSubnetIds[i] are in availabilityZones[i]. */
    availabilityZones: list('availabilityZones').pipe(
      z.array(z.string()).min(2, 'list at least two availability zones'),
    ),
    publicSubnetIds: subnetIds('publicSubnetIds'),
    privateSubnetIds: subnetIds('privateSubnetIds'),
    /** ACM certificate for the bot's HTTPS listener (Slack and GitHub call it). */
    botCertificateArn: text(/^arn:aws[a-z-]*:acm:/, 'set -c botCertificateArn=<an ACM certificate ARN>'),
    /** Image tags in the ECR repositories of the TunnelOps-Images stack (push them before deploying). */
    botImageTag: z
      .string({ error: 'set -c botImageTag=<tag pushed to the tunnelops/bot repository>' })
      .min(1),
    serverImageTag: z
      .string({ error: 'set -c serverImageTag=<tag pushed to the tunnelops/openvpn-server repository>' })
      .min(1),
    /** owner/repo whose workflows may assume the deploy and diff roles. */
    githubRepository: text(/^[\w.-]+\/[\w.-]+$/, 'set -c githubRepository=<owner>/<repo>'),
    /**
     * The repository's default branch: the read-only diff role trusts only jobs on it (the cdk-diff workflow,
     * which GitHub runs from this branch's definition), never a pull request's.
     */
    githubDefaultBranch: text(
      /^[\w.-]+(\/[\w.-]+)*$/,
      'set -c githubDefaultBranch=<the default branch, e.g. main>',
    ).default('main'),
    /** GitHub deployment environments the deploy role trusts (`environment:<name>` in the OIDC subject). */
    deployEnvironments: list('deployEnvironments').pipe(z.array(z.string()).min(1)),
    /**
     * An existing GitHub Actions OIDC provider to trust (an account holds one per URL; many already have it).
     * Unset: the Shared stack creates it.
     */
    githubOidcProviderArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
        'set -c githubOidcProviderArn=arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com (aws iam list-open-id-connect-providers), or leave it unset to create the provider',
      )
      .optional(),
    /**
     * The servers' AMI, pinned so that a new AMI is a reviewed diff (it replaces the instances). Take the
     * current ECS-optimized AL2023 image from the SSM parameter named in the error below.
     */
    serverAmiId: text(
      /^ami-[0-9a-f]{8,17}$/,
      'set -c serverAmiId=<ami id> (aws ssm get-parameter --name /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id)',
    ),
    logRetentionDays: z.coerce.number().int().positive().default(30),
    /** Optional e-mail address subscribed to every alarm topic: alerts that do not depend on the bot. */
    alarmEmail: z
      .string()
      .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'set -c alarmEmail=<an e-mail address> or leave it unset')
      .optional(),
    /** Slack channel for alarms that map to no site. */
    alarmChannel: z.string().optional(),
    /**
     * Bot tasks (replicas), spread over the AZs behind the load balancer: one AZ's outage leaves the others
     * answering Slack, GitHub and the status page. At least two.
     */
    botReplicas: z.coerce
      .number({ error: 'set -c botReplicas=<number of bot tasks, 2 or more>' })
      .int('set -c botReplicas to a whole number')
      .min(2, 'set -c botReplicas to 2 or more: one replica per AZ is what survives an AZ outage')
      .max(10, 'set -c botReplicas to 10 or fewer: more replicas add load on the store, not availability')
      .default(DEFAULT_BOT_REPLICAS),
    /**
     * Where tunnels without an `availabilityZone` go. `first`: every primary in the first AZ (one AZ's outage
     * takes every site's active tunnel). `alternate`: every other site (in topology order) swaps its two AZs, so
     * one AZ takes down only half the actives and half the failovers' EC2 calls.
     */
    primaryPlacement: z
      .enum(['first', 'alternate'], { error: 'set -c primaryPlacement=first or alternate' })
      .default('first'),
  })
  .superRefine((c, ctx) => {
    // The bot's tasks run in the private subnets and the tunnels in the public ones, one per listed AZ:
    // a repeated AZ would put everything into one AZ, which is the outage this deployment must survive.
    const distinct = new Set(c.availabilityZones);
    if (distinct.size < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['availabilityZones'],
        message: `list at least two different availability zones (got only ${[...distinct].join(', ')}): the bot runs a replica in each, so one AZ's outage leaves one serving`,
      });
    }
    for (const key of ['publicSubnetIds', 'privateSubnetIds'] as const) {
      if (new Set(c[key]).size !== c[key].length) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'list each subnet once: one subnet per availability zone, in the same order',
        });
      }
    }
    for (const key of ['publicSubnetIds', 'privateSubnetIds'] as const) {
      if (c[key].length !== c.availabilityZones.length) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `give one subnet per availability zone (${c.availabilityZones.length}), in the same order`,
        });
      }
    }
  });

export type InfraContext = z.infer<typeof infraContextSchema>;
export const CONTEXT_KEYS = Object.keys(infraContextSchema.shape) as (keyof InfraContext)[];

/** Reads and validates the context once, at the app entry; the error names every bad key. */
export function readInfraContext(node: Node): InfraContext {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  const result = infraContextSchema.safeParse(raw);
  if (!result.success)
    throw new ConfigError(formatZodError(result.error, 'the CDK context (cdk.json or -c key=value)'));
  return result.data;
}
