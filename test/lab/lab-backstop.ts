import { join } from 'node:path';
import { createFailoverController } from '../../src/app/create-controller.js';
import { loadEnv } from '../../src/config/load-env.js';
import { loadTopology } from '../../src/config/load-topology.js';
import { backstopTickInput } from '../../src/lambda/backstop-tick.js';
import { createControllerHandler } from '../../src/lambda/controller-handler.js';
import { NetnsRouteTables } from '../../src/local/netns-route-tables.js';
import { noTasks } from '../../src/local/no-tasks.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { createLogger } from '../../src/log.js';
import { netnsRoutesJson } from '../../src/monitor/monitor-config.js';
import { systemClock } from '../../src/ports/clock.js';

/**
 * The backstop as it runs in AWS, in the lab: the controller Lambda's core (createControllerHandler) given the
 * scheduler's "Backstop Reconcile" tick every LAB_BACKSTOP_SECONDS (60, as the schedule's rate(1 minute)), on
 * the shared store and the lab's route adapter. It converges whatever the fast path in the monitors missed.
 */
const env = loadEnv();
const log = createLogger(env.LOG_LEVEL).child({ lab: 'backstop' });
const topology = loadTopology(env.TUNNELOPS_TOPOLOGY);
const routes = netnsRoutesJson.parse(process.env.MONITOR_NETNS_ROUTES);
const store = new SqliteStore({ path: join(env.TUNNELOPS_DATA_DIR, 'tunnelops.sqlite') });
const controller = createFailoverController({
  env,
  topology,
  account: { routeTables: new NetnsRouteTables(routes), tasks: noTasks },
  store,
  clock: systemClock,
  log,
});
const handler = createControllerHandler({ topology, controller, log });
const everyMs = Number(process.env.LAB_BACKSTOP_SECONDS ?? 60) * 1000;
const tick = async (): Promise<void> => {
  const event = backstopTickInput({ id: `lab-${Date.now()}`, scheduledTime: new Date().toISOString() });
  const result = await handler(event).catch((err: unknown) => ({ status: 'failed', err: String(err) }));
  log.info({ result }, 'backstop reconcile');
};
const timer = setInterval(() => void tick(), everyMs);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void store.close().then(() => process.exit(0));
});
log.info({ everyMs }, 'lab backstop started');
