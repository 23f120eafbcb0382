import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { AwsClients, type AwsClientsOptions } from './clients.js';
import { CloudWatchMetrics } from './cloudwatch-metrics.js';
import { Ec2Instances } from './ec2-instances.js';
import { parseBudgetSpec, StoreRequestBudget } from './ec2-request-budget.js';
import { Ec2RouteTables } from './ec2-route-tables.js';
import { EcsTasks } from './ecs-tasks.js';
import { MetricBatch } from './metric-batch.js';
import { TunnelInstanceResolver } from './tunnel-instance-resolver.js';

export interface AwsAccountProps {
  env: Env;
  topology: Topology;
  clock: Clock;
  log: Logger;
  /** Tests and the bench pass a prepared factory (fake credentials, endpoint, retries). */
  clients?: AwsClients;
  clientOptions?: AwsClientsOptions;
  /** With it, EC2 calls draw from the request budget shared through it (one per account, region and API). */
  store?: Store;
}

/**
 * The real account: every adapter over one shared client factory, one shared instance lookup, and one
 * shared metric batch (probe stats and ECS task counts of a region come from one GetMetricData).
 */
export function createAwsAccount(props: AwsAccountProps): Account {
  const { env, clock } = props;
  const log = props.log.child({ component: 'aws' });
  const clients =
    props.clients ??
    new AwsClients({
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
      ...props.clientOptions,
    });
  const budget = props.store
    ? new StoreRequestBudget({
        store: props.store,
        clock,
        log,
        bucketOf: parseBudgetSpec(env.TUNNELOPS_EC2_BUDGET),
      })
    : undefined;
  const resolver = new TunnelInstanceResolver({ clients, clock, ...(budget ? { budget } : {}) });
  const metricBatch = new MetricBatch({ clients, clock });
  const routeTables = new Ec2RouteTables({ clients, resolver, log, ...(budget ? { budget } : {}) });
  const listed = props.topology.sites.filter((s) => s.routeDestination === 'prefix-list');
  if (listed.length > 0) routeTables.warmUp(listed);
  return {
    routeTables,
    instances: new Ec2Instances({ resolver }),
    tasks: new EcsTasks({ clients, log, metrics: metricBatch }),
    metrics: new CloudWatchMetrics({ clients, clock, log, batch: metricBatch }),
    // The routes are read with DescribeRouteTables (ec2-route-tables.ts): its queue is the one route reads wait in.
    ...(budget
      ? { routeReadQueue: { waitMs: (region) => budget.queueMs(region, 'DescribeRouteTables') } }
      : {}),
  };
}
