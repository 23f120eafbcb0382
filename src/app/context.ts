import type { App } from '@slack/bolt';
import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { HttpServer } from '../http/server.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { AlarmService } from '../services/alarms/alarm-service.js';
import type { ApprovalService } from '../services/approvals/approval-service.js';
import type { FailoverExecutor } from '../services/failover/failover-executor.js';
import type { RedeployExecutor } from '../services/redeploy/redeploy-executor.js';
import type { StatusService } from '../services/status/status-service.js';
import type { CommandHandlers } from '../slack/commands/vpn-command.js';

/** Use cases features share with each other (set by the feature that owns each; features run in FEATURES order). */
export interface AppServices {
  status?: StatusService;
  failover?: FailoverExecutor;
  redeploy?: RedeployExecutor;
  approvals?: ApprovalService;
  alarms?: AlarmService;
}

/**
 * What a feature (src/features/*) gets to wire its service into the transports.
 * Built once by createApp; features add routes, command handlers and Bolt listeners.
 */
export interface AppContext {
  env: Env;
  topology: Topology;
  log: Logger;
  clock: Clock;
  store: Store;
  account: Account;
  chat: Chat;
  bolt: App;
  http: HttpServer;
  commands: CommandHandlers;
  services: AppServices;
  dataDir: string;
  /** True when running against the simulated account. */
  sandbox: boolean;
  /** Cleanup run on stop, last registered first. */
  onStop(fn: () => Promise<void> | void): void;
}
