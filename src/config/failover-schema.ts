import { z } from 'zod';

/** A site's automatic failover: mode, probe pace, rise/fall and the limits against flapping. */
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
