/**
 * `npm run monitor -- --site dc1 --tunnel primary`: the tunnel monitor beside an OpenVPN server.
 * Probes the site's on-prem targets every probe interval, writes heartbeats to the store, and with
 * AWS configured publishes batched CloudWatch metrics and "Tunnel Health Changed" events.
 * SIGTERM/SIGINT: finish the round in flight, flush the metrics, exit 0.
 */

import { randomUUID } from 'node:crypto';
import { createFailoverController } from '../app/create-controller.js';
import { createStore } from '../app/create-store.js';
import { createAwsAccount } from '../aws/aws-account.js';
import { type AwsClients, awsClientsFromEnv } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import { loadEnv, usesAws } from '../config/load-env.js';
import { loadTopology } from '../config/load-topology.js';
import type { Topology } from '../config/topology-schema.js';
import { ConfigError } from '../domain/errors.js';
import { NetnsRouteTables } from '../local/netns-route-tables.js';
import { noTasks } from '../local/no-tasks.js';
import { createLogger, type Logger } from '../log.js';
import { type LivenessListener, startLivenessListener, tcpLiveness } from '../net/tcp-liveness.js';
import type { Account } from '../ports/account.js';
import { systemClock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { createMonitor } from './create-monitor.js';
import { loadMonitorConfig, type MonitorConfig } from './monitor-config.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const config = loadMonitorConfig(process.argv.slice(2), process.env);
  const log = createLogger(env.LOG_LEVEL, env.LOG_FORMAT).child({
    monitor: `${config.site}/${config.tunnel}`,
  });
  const topology = loadTopology(config.topology);
  const clients = usesAws(env) && !config.noAws ? awsClientsFromEnv(env) : undefined;
  const store = await createStore(env, systemClock, clients);
  const account = routeAccount({ env, config, topology, log, clients, store });
  const listener =
    account && config.fastPath && config.selfHost
      ? await livenessListener(config, config.selfHost, log)
      : undefined;
  // No Slack token on a server host (issue 22): without SLACK_BOT_TOKEN the fast path's reports and proposals go
  // into the site's outbox and the bot posts them (app/create-controller.ts). The lab gives it a stand-in token.
  const controller =
    account && config.fastPath
      ? createFailoverController({
          env,
          topology,
          account,
          store,
          clock: systemClock,
          log: log.child({ component: 'fast-path' }),
          actor: `controller@monitor:${config.site}/${config.tunnel}`,
          ...(listener ? { liveness: { self: listener.address, client: tcpLiveness() } } : {}),
        })
      : undefined;
  const monitor = createMonitor({
    config,
    topology,
    store,
    clock: systemClock,
    log,
    ...(clients ? { clients } : {}),
    ...(controller ? { controller } : {}),
  });
  stopOnSignals({ monitor, tunnel: config.tunnel, log, store, listener, clients });
  monitor.loop.start();
  log.info(
    {
      aws: Boolean(clients),
      fastPath: Boolean(controller),
      peerHost: config.peerHost,
      liveness: listener?.address,
    },
    'monitor started',
  );
}

/**
 * The fast path's liveness listener: held for the life of this process, so a peer following one of its runs
 * hears of its death at once (see net/tcp-liveness.ts). Not fatal: without it a run of this monitor that dies
 * half-way is finished when its lease runs out.
 */
async function livenessListener(
  config: MonitorConfig,
  selfHost: string,
  log: Logger,
): Promise<LivenessListener | undefined> {
  return startLivenessListener({
    bindHost: '0.0.0.0',
    port: config.livenessPort,
    advertise: selfHost,
    instance: `${config.site}/${config.tunnel}:${randomUUID()}`,
    onError: (err) => log.warn({ err }, 'liveness listener error'),
  }).catch((err: unknown) => {
    log.error(
      { err, port: config.livenessPort },
      'could not open the liveness listener; runs of this monitor that die are waited out (lease)',
    );
    return undefined;
  });
}

/** SIGTERM/SIGINT: finish the round in flight, flush the metrics, say goodbye, close, exit 0 (1 if that fails). */
function stopOnSignals(running: {
  monitor: ReturnType<typeof createMonitor>;
  tunnel: string;
  log: Logger;
  store: Store;
  listener: LivenessListener | undefined;
  clients: AwsClients | undefined;
}): void {
  const { monitor, log } = running;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'monitor stopping: handing over, flushing metrics');
    try {
      await monitor.stop();
      // The goodbye: this tunnel is going (openvpn gone or the container stopping); if it is active, the fast
      // path moves traffic now instead of the peer noticing a silent monitor.
      await monitor.loop.goodbye(`the ${running.tunnel} server is stopping (${signal})`);
      await running.store.close();
      await running.listener?.close();
      running.clients?.destroy();
      log.info('monitor stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'monitor did not stop cleanly');
      process.exit(1);
    }
  };
  // `on`, not `once`: a second signal while saying goodbye (the whole process group signalled, then the
  // entrypoint's own TERM to the monitor) would find no listener, and Node would die of it mid-goodbye.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Where the fast path changes routes: EC2 with AWS configured, the lab's netns adapter when given, else nowhere. */
function routeAccount(deps: {
  env: Env;
  config: MonitorConfig;
  topology: Topology;
  log: Logger;
  clients: AwsClients | undefined;
  store: Store;
}): Pick<Account, 'routeTables' | 'tasks'> | undefined {
  const { env, config, topology, log, clients, store } = deps;
  // The store carries the account's EC2 request budget, shared with every other monitor and the backstop.
  if (clients) return createAwsAccount({ env, topology, clock: systemClock, log, clients, store });
  if (config.netnsRoutes) return { routeTables: new NetnsRouteTables(config.netnsRoutes), tasks: noTasks };
  return undefined;
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`monitor cannot start: ${err.message}`);
  else console.error('monitor failed to start:', err);
  process.exit(1);
});
