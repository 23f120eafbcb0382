import { z } from 'zod';
import { ipv4, name } from './topology-fields.js';

/** How the bot and the controller find a tunnel's server instance. */
const instanceDiscoverySchema = z.union([
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

/** One of a site's two tunnels: its name, its ECS service and its server instance. */
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
