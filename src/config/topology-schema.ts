import { z } from 'zod';
import { approversSchema } from './approvers-schema.js';
import { failoverSchema } from './failover-schema.js';
import { probeTargetSchema } from './probe-target-schema.js';
import { serverSchema } from './server-schema.js';
import { cidr, name } from './topology-fields.js';
import { tunnelSchema } from './tunnel-schema.js';

/**
 * The topology file (tunnels.yml): one source of truth for the bot, the controller,
 * the monitor and infra/. Every field says what it is for, so errors can say how to fix it, and carries its
 * description and an example (`.meta`): docs/tunnels-yml.md is generated from them (`npm run docs`).
 * A site's parts have their own modules: tunnels, probe targets, servers, failover settings, approvers.
 */
export const siteSchema = z
  .object({
    name: name.meta({
      description:
        "The site's name, used in commands (`/vpn status dc1`), alarms, stacks and resource names.",
      examples: ['dc1'],
    }),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region code such as eu-west-1')
      .meta({
        description:
          "AWS region of the site's VPC. infra/ deploys one region per app: it must equal the context's `region`.",
        examples: ['us-east-1'],
      }),
    onPremCidrs: z
      .array(cidr)
      .min(1, 'list at least one on-prem CIDR')
      .meta({
        description:
          "On-prem networks reached through the tunnels: a route for each in every route table below (to the active tunnel), and `route`/`iroute` lines in each server's OpenVPN config. A change replaces both servers, one at a time.",
        examples: [['10.20.0.0/16', '10.21.0.0/16']],
      }),
    routeTableIds: z
      .array(
        z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'expected a route table id such as rtb-0123456789abcdef0'),
      )
      .min(1, 'list at least one route table id')
      .meta({
        description:
          'VPC route tables whose subnets must reach on-prem. infra/ creates a route per on-prem CIDR in each (they must not have one yet); the controller moves them with ReplaceRoute.',
        examples: [['rtb-0a1b2c3d4e5f60718']],
      }),
    routeDestination: z
      .enum(['cidrs', 'prefix-list'])
      .default('cidrs')
      .meta({
        description:
          'What each route table\'s route to on-prem names. `cidrs` (the default, as deployed before): one route per on-prem CIDR in every table, so a failover makes tables x CIDRs ReplaceRoute calls. `prefix-list`: infra/ puts the on-prem CIDRs in one customer-managed prefix list per site (named `tunnelops-<site>-on-prem`) and each table gets one route to it, so a failover makes one call per table and a CIDR change touches no route. See "Moving to a prefix list" in the README before switching a deployed site.',
        examples: ['prefix-list'],
      }),
    probeTargets: z.array(probeTargetSchema).min(1, 'list at least one on-prem probe target').meta({
      description:
        "What each server's monitor probes through its own tunnel every round. A round is good when any target answers, so list two or more independent hosts.",
    }),
    tunnels: z
      .array(tunnelSchema)
      .length(2, 'a site has exactly two tunnels: the first is the primary, the second the secondary')
      .meta({
        description:
          'Exactly two tunnels. The first is the primary: infra/ points the routes at it on the first deploy; after that the route tables say which one is active.',
      }),
    server: serverSchema
      .default(() => serverSchema.parse({}))
      .meta({
        description: "The tunnel servers' EC2 instances (both tunnels of the site alike).",
      }),
    failover: failoverSchema.default(() => failoverSchema.parse({})),
    approvers: approversSchema,
    approvalExpiryMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15)
      .meta({ description: 'A request nobody approved or denied expires after this long.', examples: [15] }),
    slackChannel: z
      .string()
      .regex(/^[CG][A-Z0-9]+$/, 'expected a Slack channel id such as C0123ABCD')
      .meta({
        description:
          'Slack channel id (C… or G…, not #name: channel details -> "About" -> Channel ID) for the site\'s requests, alarms and failover reports. Invite the bot to it.',
        examples: ['C0123ABCD'],
      }),
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
    sites: z
      .array(siteSchema)
      .min(1, 'list at least one site')
      .meta({ description: 'The on-prem sites, each with its two tunnels.' }),
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
export type ServerSettings = z.infer<typeof serverSchema>;
export type FailoverMode = FailoverSettings['mode'];
