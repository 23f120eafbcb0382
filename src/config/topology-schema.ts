// length: not split yet (issue 19 follow-up: one module per part)
import { z } from 'zod';

/**
 * The topology file (tunnels.yml): one source of truth for the bot, the controller,
 * the monitor and infra/. Every field says what it is for, so errors can say how to fix it, and carries its
 * description and an example (`.meta`): docs/tunnels-yml.md is generated from them (`npm run docs`).
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

const probeHost = ipv4.meta({
  description:
    "An on-prem address that must answer through the tunnel (from the server's tunnel address, `100.64.<n>.1`, whose return traffic the client masquerades). Pick hosts that are always up and not behind the tunnel's own gear.",
  examples: ['10.20.0.10'],
});

export const probeTargetSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('icmp').meta({ description: 'ICMP echo (ping): the host must answer pings.' }),
      host: probeHost,
    })
    .strict(),
  z
    .object({
      kind: z.literal('tcp').meta({ description: 'A TCP connect: the port must accept connections.' }),
      host: probeHost,
      port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .meta({ description: 'TCP port to connect to (kind tcp only).', examples: [443] }),
    })
    .strict(),
]);

export const instanceDiscoverySchema = z.union([
  z
    .object({
      instanceId: z
        .string()
        .regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id such as i-0abc12345def67890')
        .meta({
          description:
            'A fixed EC2 instance id (servers you run yourself). infra/ refuses it: the instance it creates is replaced by its auto-scaling group, so use `tag`.',
          examples: ['i-0abc12345def67890'],
        }),
    })
    .strict(),
  z
    .object({
      tag: z
        .object({
          key: z
            .string()
            .min(1)
            .meta({ description: 'Tag key on the server instance.', examples: ['tunnelops:tunnel'] }),
          value: z
            .string()
            .min(1)
            .meta({ description: 'Tag value, unique to this tunnel.', examples: ['dc1-primary'] }),
        })
        .strict()
        .meta({
          description:
            "The tag that finds the tunnel's server instance; infra/ puts it on the instance it launches.",
        }),
    })
    .strict(),
]);

export const tunnelSchema = z
  .object({
    name: name.meta({
      description:
        "The tunnel's name, used in commands (`/vpn failover dc1 --to secondary`), alarms and resource names.",
      examples: ['primary'],
    }),
    ecs: z
      .object({
        cluster: z
          .string()
          .min(1)
          .meta({
            description:
              "ECS cluster of the tunnel's OpenVPN task. infra/ creates it (one per name, shared by tunnels that name it).",
            examples: ['tunnelops-dc1'],
          }),
        service: z
          .string()
          .min(1)
          .meta({
            description: "ECS service of the tunnel's OpenVPN task (with its monitor). infra/ creates it.",
            examples: ['dc1-primary'],
          }),
      })
      .strict()
      .meta({ description: "Where the tunnel's server runs in ECS (status, redeploy, task events)." }),
    instance: instanceDiscoverySchema.meta({
      description:
        'How the bot and the controller find the server instance: `tag` (with infra/) or `instanceId`.',
    }),
    onPremPublicIp: ipv4.optional().meta({
      description:
        "Public IPv4 address the on-prem OpenVPN client of this tunnel connects from. Required by infra/: the server's security group admits UDP 1194 from this address only.",
      examples: ['203.0.113.10'],
    }),
    availabilityZone: z
      .string()
      .optional()
      .meta({
        description:
          "AZ of the tunnel's server. Default: the CDK context's `availabilityZones`, first for the first tunnel, second for the second. The two tunnels of a site must differ.",
        examples: ['us-east-1a'],
      }),
  })
  .strict();

/** AWS's Graviton types (a `g` after the generation digit) run arm64; the server image and AMI are x86_64. */
const GRAVITON = /^[a-z]+\d+[a-z]*g[a-z]*\./;

export const serverSchema = z
  .object({
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'expected an EC2 instance type such as t3.small')
      .refine(
        (t) => !GRAVITON.test(t),
        'an arm64 (Graviton) type: the server image and serverAmiId are x86_64; pick an x86_64 type such as t3.small or c6i.large',
      )
      .default('t3.small')
      .meta({
        description:
          "EC2 instance type of both tunnel servers of the site (x86_64). t3.small carries about 200 Mbit/s of tunnel traffic (bench:tunnel); a busier site takes a larger or network-optimised type (c6i, c6in). Changing it replaces the site's instances one at a time, traffic moved first.",
        examples: ['t3.small', 'c6i.large'],
      }),
    volumeGiB: z
      .number()
      .int()
      .min(30, "at least 30 GiB: the ECS-optimised AMI's own snapshot is 30 GiB")
      .max(1024)
      .default(30)
      .meta({
        description: "Size of each server's encrypted gp3 root volume in GiB (AMI, Docker images, logs).",
        examples: [30],
      }),
  })
  .strict();

export const failoverSchema = z
  .object({
    mode: z
      .enum(['auto', 'propose', 'manual'])
      .default('propose')
      .meta({
        description:
          '`auto`: the controller moves the routes by itself when the active tunnel is down and the other up. `propose`: it posts a failover request for two-person approval instead. `manual`: it only alerts. Repairs of blackholed or missing routes happen in `auto` and `propose`.',
        examples: ['propose'],
      }),
    probeIntervalSeconds: z
      .number()
      .positive()
      .max(60)
      .default(1)
      .meta({
        description:
          'Seconds between probe rounds (each round probes every target; timeout 0.8 x this). Recommended 0.5.',
        examples: [0.5],
      }),
    fall: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(3)
      .meta({ description: 'Failed rounds in a row that make a tunnel down.', examples: [3] }),
    rise: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(5)
      .meta({ description: 'Good rounds in a row that make a tunnel up again.', examples: [5] }),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .default(300)
      .meta({
        description: 'No automatic failover sooner than this after the last one (no flapping).',
        examples: [300],
      }),
    maxAutomaticPerHour: z
      .number()
      .int()
      .min(1)
      .default(3)
      .meta({
        description: 'At most this many automatic failovers per site in an hour; then only alerts.',
        examples: [3],
      }),
    heartbeatStaleSeconds: z
      .number()
      .int()
      .min(2)
      .default(10)
      .meta({
        description:
          "A monitor's heartbeat older than this counts as silent (for a decider without a view of the host).",
        examples: [10],
      }),
  })
  .strict()
  .meta({ description: 'When and how traffic moves by itself (see "Automatic failover" in the README).' });

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
    approvers: z
      .object({
        users: z
          .array(z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id such as U012AB3CD'))
          .default([])
          .meta({
            description: 'Slack user ids (not names: in Slack, a profile\'s "⋮" menu -> "Copy member ID").',
            examples: [['U012AB3CD']],
          }),
        userGroups: z
          .array(z.string().regex(/^S[A-Z0-9]+$/, 'expected a Slack user group id such as S0614TZR7'))
          .default([])
          .meta({
            description:
              'Slack user group ids (S…); every member may approve (read with usergroups.users.list, cached 5 s).',
            examples: [['S0614TZR7']],
          }),
      })
      .strict()
      .refine(
        (a) => a.users.length + a.userGroups.length > 0,
        'name at least one approver (user or user group)',
      )
      .meta({
        description:
          'Who may approve a failover or redeploy of this site (never the person who asked). At least one user or group.',
      }),
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
