import { z } from 'zod';
import { ipv4 } from './topology-fields.js';

const probeHost = ipv4.meta({
  description:
    "An on-prem address that must answer through the tunnel (from the server's tunnel address, `100.64.<n>.1`, whose return traffic the client masquerades). Pick hosts that are always up and not behind the tunnel's own gear.",
  examples: ['10.20.0.10'],
});

/** What a tunnel's monitor probes through the tunnel: an ICMP echo or a TCP connect. */
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
