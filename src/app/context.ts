import type { App } from '@slack/bolt';
import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { HttpServer } from '../http/server.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { CommandHandlers } from '../slack/commands/vpn-command.js';

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
  dataDir: string;
  /** True when running against the simulated account. */
  sandbox: boolean;
  /** Cleanup run on stop, last registered first. */
  onStop(fn: () => Promise<void> | void): void;
}
