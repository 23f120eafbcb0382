import { z } from 'zod';

/** AWS's Graviton types (a `g` after the generation digit) run arm64; the server image and AMI are x86_64. */
const GRAVITON = /^[a-z]+\d+[a-z]*g[a-z]*\./;

/** The EC2 instances of a site's two tunnel servers. */
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
