import { awsClientsFromEnv } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import { checkListenExposure } from '../config/listen-check.js';
import type { Topology } from '../config/topology-schema.js';
import { HttpServer, sendJson } from '../http/server.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import type { SlackStandin } from '../local/slack-standin.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { type CommandHandlers, registerVpnCommand } from '../slack/commands/vpn-command.js';
import { slackHeaderCheck } from '../slack/request-signature.js';
import type { AppContext } from './context.js';
import { createAccount } from './create-account.js';
import { createServices, startServices } from './create-services.js';
import { createSlack, type SlackParts } from './create-slack.js';
import { createStore } from './create-store.js';
import { FEATURES } from './features.js';

export interface CreateAppProps {
  env: Env;
  topology: Topology;
  log: Logger;
  clock?: Clock;
  /** Injected by tests (never the sandbox, like AWS); otherwise AWS when configured, else the sandbox account. */
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

/**
 * The composition root's pipeline: config -> adapters -> services -> transports, then listen. A start that
 * fails half-way closes what it had opened.
 */
export async function createApp(props: CreateAppProps): Promise<RunningApp> {
  const stops: Array<() => Promise<void> | void> = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const fn of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        props.log.warn({ err }, 'error while stopping');
      }
    }
  };
  try {
    return { ...(await start(props, (fn) => stops.push(fn))), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function start(
  props: CreateAppProps,
  onStop: (fn: () => Promise<void> | void) => void,
): Promise<Omit<RunningApp, 'stop'>> {
  const { env, topology, log } = props;
  const clock = props.clock ?? systemClock;
  const dataDir = env.TUNNELOPS_DATA_DIR;
  const aws = awsClientsFromEnv(env);
  onStop(() => aws.destroy()); // first registered, so it runs last
  const store = props.store ?? (await createStore(env, clock, aws));
  onStop(() => store.close());
  const { account, sandbox }: { account: Account; sandbox?: SandboxAccount | undefined } = props.account
    ? { account: props.account }
    : await createAccount({ env, topology, clock, log, clients: aws, store });
  const exposure = checkListenExposure(env, sandbox !== undefined);
  if (exposure) log.warn(exposure);

  const slack = await createSlack({ env, log, clock, onStop });
  const http = new HttpServer(log);
  http.route('GET', '/healthz', async (_req, res) => sendJson(res, 200, { ok: true }), { auth: 'public' });
  if (!env.SLACK_APP_TOKEN)
    http.route('POST', '/slack/events', slack.routerReceiver.handle, { auth: slackHeaderCheck(clock) });

  const chat = slack.chat;
  const services = createServices({ env, topology, log, clock, store, account, chat, sandbox });
  const commands: CommandHandlers = {};
  const ctx: AppContext = {
    env,
    topology,
    log,
    clock,
    store,
    account,
    aws,
    chat,
    bolt: slack.bolt,
    http,
    commands,
    services,
    dataDir,
    sandbox,
    onStop,
  };
  for (const feature of FEATURES) await feature(ctx);
  // After the features: the sandbox's stand-ins for the monitors report before the first notices round.
  await startServices(services, onStop);
  registerVpnCommand(slack.bolt, commands, log);

  const url = await listen(env, http, slack, onStop);
  log.info(
    { url, sandbox: Boolean(sandbox), slack: slack.slackStandin ? 'local stand-in' : 'slack' },
    'tunnelops listening',
  );
  return { ctx, url, slackStandin: slack.slackStandin, signingSecret: slack.signingSecret };
}

/** The HTTP server on PORT/HOST, and Bolt's Socket Mode connection when SLACK_APP_TOKEN is set; the base URL. */
async function listen(
  env: Env,
  http: HttpServer,
  slack: SlackParts,
  onStop: (fn: () => Promise<void> | void) => void,
): Promise<string> {
  const address = await http.listen(env.PORT, env.HOST);
  onStop(() => http.close());
  if (env.SLACK_APP_TOKEN) {
    await slack.bolt.start();
    onStop(async () => {
      await slack.bolt.stop();
    });
  }
  const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
  return `http://${host}:${address.port}`;
}
