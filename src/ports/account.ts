import type { Instances } from './instances.js';
import type { Metrics } from './metrics.js';
import type { RouteReadQueue } from './route-read-queue.js';
import type { RouteTables } from './route-tables.js';
import type { TaskRuntime } from './tasks.js';

/** Everything tunnelops reads from and changes in the AWS account: real (src/aws) or simulated (src/local). */
export interface Account {
  routeTables: RouteTables;
  tasks: TaskRuntime;
  instances: Instances;
  metrics: Metrics;
  /** The queue for route reads in the account's shared request budget; only an account with one (AWS with a store). */
  routeReadQueue?: RouteReadQueue;
}
