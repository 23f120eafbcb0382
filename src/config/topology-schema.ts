import { z } from 'zod';

/**
 * The topology file (tunnels.yml): one source of truth for the bot, the controller,
 * the monitor and infra/. Every field says what it is for, so errors can say how to fix it.
 */
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'expected an IPv4 CIDR such as 10.20.0.0/16');
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'expected an IPv4 address such as 203.0.113.10');
const name = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'expected a lowercase name: letters, digits and dashes, starting with a letter',
  );

export const probeTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('icmp'), host: ipv4 }).strict(),
  z.object({ kind: z.literal('tcp'), host: ipv4, port: z.number().int().min(1).max(65535) }).strict(),
]);

export const instanceDiscoverySchema = z.union([
  z
    .object({
      instanceId: z
        .string()
        .regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id such as i-0abc12345def67890'),
    })
    .strict(),
  z.object({ tag: z.object({ key: z.string().min(1), value: z.string().min(1) }).strict() }).strict(),
]);

export const tunnelSchema = z
  .object({
    name,
    ecs: z.object({ cluster: z.string().min(1), service: z.string().min(1) }).strict(),
    instance: instanceDiscoverySchema,
    /** Public IP of the on-prem OpenVPN client that connects to this tunnel's server (security group source). */
    onPremPublicIp: ipv4.optional(),
    /** Availability zone of the server (infra places the two tunnels in different AZs). */
    availabilityZone: z.string().optional(),
  })
  .strict();

export const failoverSchema = z
  .object({
    mode: z.enum(['auto', 'propose', 'manual']).default('propose'),
    probeIntervalSeconds: z.number().positive().max(60).default(1),
    fall: z.number().int().min(1).max(60).default(3),
    rise: z.number().int().min(1).max(60).default(5),
    cooldownSeconds: z.number().int().min(0).default(300),
    maxAutomaticPerHour: z.number().int().min(1).default(3),
    heartbeatStaleSeconds: z.number().int().min(2).default(10),
  })
  .strict();

export const siteSchema = z
  .object({
    name,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region code such as eu-west-1'),
    onPremCidrs: z.array(cidr).min(1, 'list at least one on-prem CIDR'),
    routeTableIds: z
      .array(
        z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'expected a route table id such as rtb-0123456789abcdef0'),
      )
      .min(1, 'list at least one route table id'),
    probeTargets: z.array(probeTargetSchema).min(1, 'list at least one on-prem probe target'),
    tunnels: z
      .array(tunnelSchema)
      .length(2, 'a site has exactly two tunnels: the first is the primary, the second the secondary'),
    failover: failoverSchema.default(() => failoverSchema.parse({})),
    approvers: z
      .object({
        users: z
          .array(z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id such as U012AB3CD'))
          .default([]),
        userGroups: z
          .array(z.string().regex(/^S[A-Z0-9]+$/, 'expected a Slack user group id such as S0614TZR7'))
          .default([]),
      })
      .strict()
      .refine(
        (a) => a.users.length + a.userGroups.length > 0,
        'name at least one approver (user or user group)',
      ),
    approvalExpiryMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    slackChannel: z.string().regex(/^[CG][A-Z0-9]+$/, 'expected a Slack channel id such as C0123ABCD'),
  })
  .strict()
  .superRefine((site, ctx) => {
    const [a, b] = site.tunnels;
    if (a && b && a.name === b.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['tunnels', 1, 'name'],
        message: 'the two tunnels need different names',
      });
    }
  });

export const topologySchema = z
  .object({
    sites: z.array(siteSchema).min(1, 'list at least one site'),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.sites.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['sites', i, 'name'],
          message: `duplicate site name "${s.name}"`,
        });
      seen.add(s.name);
    });
  });

export type Topology = z.infer<typeof topologySchema>;
export type Site = z.infer<typeof siteSchema>;
export type Tunnel = z.infer<typeof tunnelSchema>;
export type ProbeTarget = z.infer<typeof probeTargetSchema>;
export type FailoverSettings = z.infer<typeof failoverSchema>;
export type FailoverMode = FailoverSettings['mode'];
