import type { App } from '@slack/bolt';
import type { AwsClients } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { HttpServer } from '../http/server.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { CommandHandlers } from '../slack/commands/vpn-command.js';
import type { AppServices } from './create-services.js';

/**
 * What a feature (src/features/*) gets to wire the services into the transports.
 * Built once by createApp (services by createServices); features add routes, command handlers, Bolt listeners
 * and the timers that drive the services.
 */
export interface AppContext {
  env: Env;
  topology: Topology;
  log: Logger;
  clock: Clock;
  store: Store;
  account: Account;
  /** The process's one AWS client factory (clients are made on first use, so the sandbox makes none). */
  aws: AwsClients;
  chat: Chat;
  bolt: App;
  http: HttpServer;
  commands: CommandHandlers;
  services: AppServices;
  dataDir: string;
  /** The simulated account, when running the sandbox (no AWS credentials, no injected account); else undefined. */
  sandbox: SandboxAccount | undefined;
  /** Cleanup run on stop, last registered first. */
  onStop(fn: () => Promise<void> | void): void;
}
