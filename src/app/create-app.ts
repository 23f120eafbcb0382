import { join } from 'node:path';
import { App, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Env } from '../config/env-schema.js';
import { checkListenExposure } from '../config/listen-check.js';
import { usesAws } from '../config/load-env.js';
import type { Topology } from '../config/topology-schema.js';
import { HttpServer, sendJson } from '../http/server.js';
import { sandboxSigningSecret } from '../local/signing-secret.js';
import { SlackStandin } from '../local/slack-standin.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { boltLogger } from '../slack/bolt-logger.js';
import { type CommandHandlers, registerVpnCommand } from '../slack/commands/vpn-command.js';
import { slackHeaderCheck } from '../slack/request-signature.js';
import { RouterReceiver } from '../slack/router-receiver.js';
import { SLACK_CLIENT_DEFAULTS, SlackChat } from '../slack/slack-chat.js';
import type { AppContext } from './context.js';
import { createAccount } from './create-account.js';
import { createStore } from './create-store.js';
import { FEATURES } from './features.js';

export interface CreateAppProps {
  env: Env;
  topology: Topology;
  log: Logger;
  clock?: Clock;
  /** Injected by tests; otherwise AWS when configured, else the simulated sandbox account. */
  account?: Account;
  store?: Store;
}

export interface RunningApp {
  ctx: AppContext;
  /** Base URL of the HTTP server once listening. */
  url: string;
  /** The local Slack API stand-in, when no SLACK_BOT_TOKEN is set. */
  slackStandin: SlackStandin | undefined;
  signingSecret: string;
  stop(): Promise<void>;
}

/** The composition root's pipeline: config -> adapters -> services -> transports, then listen. */
export async function createApp(props: CreateAppProps): Promise<RunningApp> {
  const { env, topology, log } = props;
  const clock = props.clock ?? systemClock;
  const dataDir = env.TUNNELOPS_DATA_DIR;
  const stops: Array<() => Promise<void> | void> = [];

  const sandbox = !props.account && !usesAws(env);
  const exposure = checkListenExposure(env, sandbox);
  if (exposure) log.warn(exposure);
  const store = props.store ?? (await createStore(env, clock));
  stops.push(() => store.close());
  const account = props.account ?? (await createAccount({ env, topology, clock, log, store }));

  // Slack: without a bot token, Web API calls go to a local stand-in that keeps a transcript.
  let slackStandin: SlackStandin | undefined;
  let slackApiUrl = env.SLACK_API_URL;
  if (!env.SLACK_BOT_TOKEN) {
    slackStandin = new SlackStandin({ transcriptPath: join(dataDir, 'slack-transcript.jsonl') });
    slackApiUrl = await slackStandin.start();
    stops.push(() => slackStandin?.stop());
  }
  const botToken = env.SLACK_BOT_TOKEN ?? 'xoxb-sandbox';
  // The in-process stand-in answers at once or is gone (stopped with the app): retrying a call against it
  // only keeps a stopped app's event loop alive for minutes. Real Slack gets bounded retries and a timeout.
  const slackClientOptions = {
    ...SLACK_CLIENT_DEFAULTS,
    ...(slackApiUrl ? { slackApiUrl } : {}),
    ...(slackStandin ? { retryConfig: { retries: 0 } } : {}),
  };
  const signingSecret = env.SLACK_SIGNING_SECRET ?? sandboxSigningSecret(dataDir);
  const routerReceiver = new RouterReceiver(signingSecret, clock);
  const receiver = env.SLACK_APP_TOKEN
    ? new SocketModeReceiver({ appToken: env.SLACK_APP_TOKEN, logger: boltLogger(log) })
    : routerReceiver;
  const bolt = new App({
    receiver,
    authorize: async () => ({ botToken, botId: 'B0TUNNELOPS', botUserId: 'U0TUNNELOPS' }),
    logger: boltLogger(log),
    clientOptions: slackClientOptions,
  });
  // bolt.client carries no token when `authorize` is used (listeners get one per event); the Chat port posts
  // outside any event, so it gets its own client with the bot token.
  const chat = new SlackChat(new WebClient(botToken, { logger: boltLogger(log), ...slackClientOptions }));

  const http = new HttpServer(log);
  http.route('GET', '/healthz', async (_req, res) => sendJson(res, 200, { ok: true }), { auth: 'public' });
  if (!env.SLACK_APP_TOKEN)
    http.route('POST', '/slack/events', routerReceiver.handle, { auth: slackHeaderCheck(clock) });

  const commands: CommandHandlers = {};
  const ctx: AppContext = {
    env,
    topology,
    log,
    clock,
    store,
    account,
    chat,
    bolt,
    http,
    commands,
    services: {},
    dataDir,
    sandbox,
    onStop: (fn) => stops.push(fn),
  };
  for (const feature of FEATURES) await feature(ctx);
  registerVpnCommand(bolt, commands, log);

  const address = await http.listen(env.PORT, env.HOST);
  stops.push(() => http.close());
  if (env.SLACK_APP_TOKEN) {
    await bolt.start();
    stops.push(async () => {
      await bolt.stop();
    });
  }
  const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
  const url = `http://${host}:${address.port}`;
  log.info({ url, sandbox, slack: slackStandin ? 'local stand-in' : 'slack' }, 'tunnelops listening');

  let stopped = false;
  return {
    ctx,
    url,
    slackStandin,
    signingSecret,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const fn of stops.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.warn({ err }, 'error while stopping');
        }
      }
    },
  };
}
