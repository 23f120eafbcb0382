/**
 * The failover controller as a Lambda: EventBridge delivers ECS Task State Change (rule filtered to this
 * topology's clusters), Tunnel Health Changed, CloudWatch Alarm State Change and the tunnel ASGs' "EC2
 * Instance-terminate Lifecycle Action"; EventBridge Scheduler the 1-minute "Backstop Reconcile" tick (contract
 * in controller-handler.ts).
 * Config and clients are built once per cold start; the work is in controller-handler.ts.
 *
 * Environment: TUNNELOPS_TOPOLOGY_JSON (the topology as JSON; or TUNNELOPS_TOPOLOGY, a file path),
 * TUNNELOPS_SITE (the one site this controller evaluates; infra sets it per site), TUNNELOPS_STORE=dynamodb:<table>,
 * AWS_REGION. It holds no Slack token in AWS: as the monitors' fast path does, it puts its reports and proposals
 * into the site's outbox in the state table, and the bot posts them, one message per event (an AZ outage's
 * failovers by the fast paths and the backstops alike). SLACK_BOT_TOKEN makes it post itself: outside AWS only
 * (the lab, local runs), as for the monitors.
 */
import { createFailoverController } from '../app/create-controller.js';
import { createStore } from '../app/create-store.js';
import { AsgLifecycleActions } from '../aws/asg-lifecycle-actions.js';
import { createAwsAccount } from '../aws/aws-account.js';
import { awsClientsFromEnv } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import { loadEnv } from '../config/load-env.js';
import { loadTopology, parseTopology } from '../config/load-topology.js';
import type { Topology } from '../config/topology-schema.js';
import { ConfigError } from '../domain/errors.js';
import { siteOnly } from '../domain/topology.js';
import { createLogger } from '../log.js';
import { systemClock } from '../ports/clock.js';
import { PlannedTermination } from '../services/failover/planned-termination.js';
import { createControllerHandler, type HandlerResult } from './controller-handler.js';

export interface ControllerConfig {
  env: Env;
  /** The whole topology, or only TUNNELOPS_SITE's site when that is set (as it is in AWS). */
  topology: Topology;
  region: string;
}

/** Parses the Lambda's environment once; errors say which variable to set. */
export function loadControllerConfig(source: NodeJS.ProcessEnv): ControllerConfig {
  const env = loadEnv(source);
  const json = source.TUNNELOPS_TOPOLOGY_JSON;
  const full = json ? parseTopology(json, 'TUNNELOPS_TOPOLOGY_JSON') : loadTopology(env.TUNNELOPS_TOPOLOGY);
  const topology = env.TUNNELOPS_SITE ? siteOnly(full, env.TUNNELOPS_SITE) : full;
  if (!topology) {
    throw new ConfigError(
      `TUNNELOPS_SITE=${env.TUNNELOPS_SITE} is not a site of the topology (${full.sites.map((s) => s.name).join(', ')})`,
    );
  }
  if (!env.TUNNELOPS_STORE?.startsWith('dynamodb:')) {
    throw new ConfigError(
      'the failover controller Lambda needs TUNNELOPS_STORE=dynamodb:<table> (the state table it shares with the bot)',
    );
  }
  if (!env.AWS_REGION)
    throw new ConfigError('AWS_REGION is not set (Lambda sets it; set it when running elsewhere)');
  return { env, topology, region: env.AWS_REGION };
}

async function coldStart(): Promise<(event: unknown) => Promise<HandlerResult>> {
  const { env, topology } = loadControllerConfig(process.env);
  const log = createLogger(env.LOG_LEVEL).child({ lambda: 'failover-controller' });
  const clock = systemClock;
  const clients = awsClientsFromEnv(env);
  const store = await createStore(env, clock, clients);
  // The store carries the account's EC2 request budget, shared with the monitors' fast paths.
  const account = createAwsAccount({ env, topology, clock, log, clients, store });
  const controller = createFailoverController({
    env,
    topology,
    account,
    store,
    clock,
    log,
  });
  const plannedTermination = new PlannedTermination({
    topology,
    instances: account.instances,
    controller,
    lifecycle: new AsgLifecycleActions(clients),
    log: log.child({ component: 'planned-termination' }),
  });
  return createControllerHandler({ topology, controller, log, plannedTermination });
}

let ready: Promise<(event: unknown) => Promise<HandlerResult>> | undefined;

export const handler = async (event: unknown): Promise<HandlerResult> => {
  ready ??= coldStart().catch((err: unknown) => {
    ready = undefined; // the next invocation tries again (and logs the same clear error)
    throw err;
  });
  return (await ready)(event);
};
