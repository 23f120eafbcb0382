import type { App } from '@slack/bolt';
import type { AwsClients } from '../aws/clients.js';
import type { HttpServer } from '../http/server.js';
import type { CommandHandlers } from '../slack/commands/vpn-command.js';
import type { AppServices, ServiceDeps } from './create-services.js';

/**
 * What a feature (src/features/*) gets to wire the services into the transports.
 * Built once by createApp (services by createServices); features add routes, command handlers, Bolt listeners
 * and the timers that drive the services.
 */
export interface AppContext extends ServiceDeps {
  /** The process's one AWS client factory (clients are made on first use, so the sandbox makes none). */
  aws: AwsClients;
  bolt: App;
  http: HttpServer;
  commands: CommandHandlers;
  services: AppServices;
  dataDir: string;
  /** Cleanup run on stop, last registered first. */
  onStop(fn: () => Promise<void> | void): void;
}
