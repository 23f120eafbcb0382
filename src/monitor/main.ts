/**
 * `npm run monitor -- --site dc1 --tunnel primary`: the tunnel monitor beside an OpenVPN server.
 * Probes the site's on-prem targets every probe interval, writes heartbeats to the store, and with
 * AWS configured publishes batched CloudWatch metrics and "Tunnel Health Changed" events.
 * SIGTERM/SIGINT: finish the round in flight, flush the metrics, exit 0.
 */

import { createStore } from '../app/create-store.js';
import { AwsClients } from '../aws/clients.js';
import { loadEnv, usesAws } from '../config/load-env.js';
import { loadTopology } from '../config/load-topology.js';
import { ConfigError } from '../domain/errors.js';
import { createLogger } from '../log.js';
import { systemClock } from '../ports/clock.js';
import { createMonitor } from './create-monitor.js';
import { loadMonitorConfig } from './monitor-config.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const config = loadMonitorConfig(process.argv.slice(2), process.env);
  const log = createLogger(env.LOG_LEVEL).child({ monitor: `${config.site}/${config.tunnel}` });
  const topology = loadTopology(config.topology);
  const clients =
    usesAws(env) && !config.noAws
      ? new AwsClients(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {})
      : undefined;
  const store = await createStore(env, systemClock, clients);
  const monitor = createMonitor({
    config,
    topology,
    store,
    clock: systemClock,
    log,
    ...(clients ? { clients } : {}),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'monitor stopping: flushing metrics');
    try {
      await monitor.stop();
      await store.close();
      clients?.destroy();
      log.info('monitor stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'monitor did not stop cleanly');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  monitor.loop.start();
  log.info({ aws: Boolean(clients) }, 'monitor started');
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`monitor cannot start: ${err.message}`);
  else console.error('monitor failed to start:', err);
  process.exit(1);
});
