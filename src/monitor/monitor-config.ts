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
 *   --peer-host / MONITOR_PEER_HOST                       the other server's VPC address (its tunnel ENI's IP):
 *                                                         probed every round for peer detection
 *   --self-host / MONITOR_SELF_HOST                       this server's own VPC address: with the fast path, the
 *                                                         monitor listens there for liveness checks and puts it on
 *                                                         its leases, so a peer breaks them the moment it dies
 *   MONITOR_LIVENESS_PORT                                 that listener's TCP port (default 7406)
 *   MONITOR_PKI_DIR (else PKI_DIR, the server's)          where this server's ca.crt, server.crt and crl.pem are:
 *                                                         their days left go to CloudWatch as CertDaysLeft
 *   MONITOR_PEER_CERT                                     the client certificate openvpn exported at the last
 *                                                         handshake (the entrypoint sets it): CertDaysLeft role client
 *   MONITOR_FAST_PATH=0                                   do not run the failover controller here (default: run
 *                                                         it when a route adapter is available: AWS or the lab's)
 *   MONITOR_NETNS_ROUTES                                  the lab's route adapter (JSON: namespace, tables,
 *                                                         nextHops, delayMs); never set in AWS
 */
const netnsRoutesSchema = z
  .object({
    namespace: z.string().min(1),
    tables: z.record(z.string(), z.union([z.number().int(), z.string().min(1)])),
    nextHops: z.record(z.string(), z.record(z.string(), z.string().min(1))),
    delayMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict();
/** The lab's route adapter settings as JSON text (the monitor's and the lab backstop's MONITOR_NETNS_ROUTES). */
export const netnsRoutesJson = z
  .string()
  .max(16_384, 'MONITOR_NETNS_ROUTES is too long')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'MONITOR_NETNS_ROUTES must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(netnsRoutesSchema);
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'expected an IPv4 address such as 10.0.2.10');
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
  peerHost: ipv4.optional(),
  selfHost: ipv4.optional(),
  livenessPort: z.coerce.number().int().min(1).max(65_535).default(7406),
  fastPath: z.boolean().default(true),
  netnsRoutes: netnsRoutesJson.optional(),
  pkiDir: z.string().min(1).optional(),
  peerCert: z.string().min(1).optional(),
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
        'peer-host': { type: 'string' },
        'self-host': { type: 'string' },
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
    peerHost: pick('peer-host', 'MONITOR_PEER_HOST'),
    selfHost: pick('self-host', 'MONITOR_SELF_HOST'),
    livenessPort: env.MONITOR_LIVENESS_PORT === '' ? undefined : env.MONITOR_LIVENESS_PORT,
    fastPath: env.MONITOR_FAST_PATH !== '0',
    netnsRoutes: env.MONITOR_NETNS_ROUTES === '' ? undefined : env.MONITOR_NETNS_ROUTES,
    pkiDir: env.MONITOR_PKI_DIR || env.PKI_DIR || undefined,
    peerCert: env.MONITOR_PEER_CERT || undefined,
  });
  if (!result.success) throw new ConfigError(formatZodError(result.error, 'the monitor settings'));
  return result.data;
}
