/**
 * The failover controller as a Lambda: EventBridge delivers ECS Task State Change (rule filtered to this
 * topology's clusters), Tunnel Health Changed, CloudWatch Alarm State Change and the 1-minute "Scheduled
 * Event". Config and clients are built once per cold start; the work is in controller-handler.ts.
 *
 * Environment: TUNNELOPS_TOPOLOGY_JSON (the topology as JSON; or TUNNELOPS_TOPOLOGY, a file path),
 * TUNNELOPS_STORE=dynamodb:<table>, AWS_REGION; SLACK_BOT_TOKEN to post alerts and approval requests.
 */
import { createFailoverController } from '../app/create-controller.js';
import { createStore } from '../app/create-store.js';
import { createAwsAccount } from '../aws/aws-account.js';
import { AwsClients } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import { loadEnv } from '../config/load-env.js';
import { loadTopology, parseTopology } from '../config/load-topology.js';
import type { Topology } from '../config/topology-schema.js';
import { ConfigError } from '../domain/errors.js';
import { createLogger } from '../log.js';
import { systemClock } from '../ports/clock.js';
import { createControllerHandler, type HandlerResult } from './controller-handler.js';

export interface ControllerConfig {
  env: Env;
  topology: Topology;
}

/** Parses the Lambda's environment once; errors say which variable to set. */
export function loadControllerConfig(source: NodeJS.ProcessEnv): ControllerConfig {
  const env = loadEnv(source);
  const json = source.TUNNELOPS_TOPOLOGY_JSON;
  const topology = json
    ? parseTopology(json, 'TUNNELOPS_TOPOLOGY_JSON')
    : loadTopology(env.TUNNELOPS_TOPOLOGY);
  if (!env.TUNNELOPS_STORE?.startsWith('dynamodb:')) {
    throw new ConfigError(
      'the failover controller Lambda needs TUNNELOPS_STORE=dynamodb:<table> (the state table it shares with the bot)',
    );
  }
  if (!env.AWS_REGION)
    throw new ConfigError('AWS_REGION is not set (Lambda sets it; set it when running elsewhere)');
  return { env, topology };
}

async function coldStart(): Promise<(event: unknown) => Promise<HandlerResult>> {
  const { env, topology } = loadControllerConfig(process.env);
  const log = createLogger(env.LOG_LEVEL).child({ lambda: 'failover-controller' });
  const clock = systemClock;
  const clients = new AwsClients(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {});
  const store = await createStore(env, clock, clients);
  const account = createAwsAccount({ env, topology, clock, log, clients });
  const controller = createFailoverController({ env, topology, account, store, clock, log });
  return createControllerHandler({ topology, controller, log });
}

let ready: Promise<(event: unknown) => Promise<HandlerResult>> | undefined;

export const handler = async (event: unknown): Promise<HandlerResult> => {
  ready ??= coldStart().catch((err: unknown) => {
    ready = undefined; // the next invocation tries again (and logs the same clear error)
    throw err;
  });
  return (await ready)(event);
};
