import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatZodError } from '../config/format-zod-error.js';
import { ConfigError } from '../domain/errors.js';

/**
 * `npm run monitor` settings: flags win over environment variables.
 *   --site / MONITOR_SITE, --tunnel / MONITOR_TUNNEL       which tunnel this monitor watches (required)
 *   --topology / TUNNELOPS_TOPOLOGY                      the topology file (tunnels.yml)
 *   --probe-prefix / MONITOR_PROBE_PREFIX                 command before ping, e.g. "ip netns exec srv1"
 *   --source / MONITOR_PROBE_SOURCE                       ping -I: the tunnel's interface or address
 *   --tcp-bind / MONITOR_TCP_BIND                         local address TCP probes bind to
 *   --flush-seconds / MONITOR_FLUSH_SECONDS               CloudWatch batch interval (default 10)
 *   --event-bus / MONITOR_EVENT_BUS                       EventBridge bus (default: the account's default bus)
 *   --no-aws / MONITOR_NO_AWS=1                           store heartbeats only (no CloudWatch / EventBridge)
 */
const schema = z.object({
  site: z.string({ error: 'set --site or MONITOR_SITE to the site this monitor watches' }).min(1),
  tunnel: z.string({ error: 'set --tunnel or MONITOR_TUNNEL to the tunnel this monitor watches' }).min(1),
  topology: z.string().default('tunnels.yml'),
  probePrefix: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(/\s+/).filter(Boolean) : [])),
  source: z.string().min(1).optional(),
  tcpBind: z.string().min(1).optional(),
  flushSeconds: z.coerce.number().positive().max(60).default(10),
  eventBus: z.string().min(1).optional(),
  noAws: z.boolean().default(false),
});

export type MonitorConfig = z.infer<typeof schema>;

export function loadMonitorConfig(argv: string[], env: NodeJS.ProcessEnv): MonitorConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        site: { type: 'string' },
        tunnel: { type: 'string' },
        topology: { type: 'string' },
        'probe-prefix': { type: 'string' },
        source: { type: 'string' },
        'tcp-bind': { type: 'string' },
        'flush-seconds': { type: 'string' },
        'event-bus': { type: 'string' },
        'no-aws': { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(`monitor: ${(err as Error).message}`);
  }
  const pick = (flag: string, name: string) => values[flag] ?? (env[name] === '' ? undefined : env[name]);
  const result = schema.safeParse({
    site: pick('site', 'MONITOR_SITE'),
    tunnel: pick('tunnel', 'MONITOR_TUNNEL'),
    topology: pick('topology', 'TUNNELOPS_TOPOLOGY'),
    probePrefix: pick('probe-prefix', 'MONITOR_PROBE_PREFIX'),
    source: pick('source', 'MONITOR_PROBE_SOURCE'),
    tcpBind: pick('tcp-bind', 'MONITOR_TCP_BIND'),
    flushSeconds: pick('flush-seconds', 'MONITOR_FLUSH_SECONDS'),
    eventBus: pick('event-bus', 'MONITOR_EVENT_BUS'),
    noAws: values['no-aws'] === true || env.MONITOR_NO_AWS === '1',
  });
  if (!result.success) throw new ConfigError(formatZodError(result.error, 'the monitor settings'));
  return result.data;
}
