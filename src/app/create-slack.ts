import { join } from 'node:path';
import { App, SocketModeReceiver } from '@slack/bolt';
import type { Env } from '../config/env-schema.js';
import { sandboxSigningSecret } from '../local/signing-secret.js';
import { SlackStandin } from '../local/slack-standin.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { boltLogger } from '../slack/bolt-logger.js';
import { RouterReceiver } from '../slack/router-receiver.js';
import { createSlackChat, SLACK_CLIENT_DEFAULTS, type SlackChat } from '../slack/slack-chat.js';

export interface SlackParts {
  bolt: App;
  chat: SlackChat;
  /** Serves POST /slack/events on our HTTP server (unless Socket Mode: SLACK_APP_TOKEN). */
  routerReceiver: RouterReceiver;
  /** The local Slack API stand-in, when no SLACK_BOT_TOKEN is set. */
  slackStandin: SlackStandin | undefined;
  signingSecret: string;
}

/** Bolt, its receiver and the Chat port; without a bot token, Web API calls go to a local stand-in. */
export async function createSlack(deps: {
  env: Env;
  log: Logger;
  clock: Clock;
  onStop(fn: () => Promise<void> | void): void;
}): Promise<SlackParts> {
  const { env, log, clock } = deps;
  let slackStandin: SlackStandin | undefined;
  let slackApiUrl = env.SLACK_API_URL;
  if (!env.SLACK_BOT_TOKEN) {
    const standin = new SlackStandin({
      transcriptPath: join(env.TUNNELOPS_DATA_DIR, 'slack-transcript.jsonl'),
    });
    slackApiUrl = await standin.start();
    deps.onStop(() => standin.stop());
    slackStandin = standin;
  }
  const botToken = env.SLACK_BOT_TOKEN ?? 'xoxb-sandbox';
  // The in-process stand-in answers at once or is gone (stopped with the app): retrying a call against it
  // only keeps a stopped app's event loop alive for minutes. Real Slack gets bounded retries and a timeout.
  const clientOptions = {
    ...SLACK_CLIENT_DEFAULTS,
    ...(slackApiUrl ? { slackApiUrl } : {}),
    ...(slackStandin ? { retryConfig: { retries: 0 } } : {}),
  };
  const signingSecret = env.SLACK_SIGNING_SECRET ?? sandboxSigningSecret(env.TUNNELOPS_DATA_DIR);
  const routerReceiver = new RouterReceiver(signingSecret, clock);
  const receiver = env.SLACK_APP_TOKEN
    ? new SocketModeReceiver({ appToken: env.SLACK_APP_TOKEN, logger: boltLogger(log) })
    : routerReceiver;
  const bolt = new App({
    receiver,
    authorize: async () => ({ botToken, botId: 'B0TUNNELOPS', botUserId: 'U0TUNNELOPS' }),
    logger: boltLogger(log),
    clientOptions,
  });
  // bolt.client carries no token when `authorize` is used (listeners get one per event); the Chat port posts
  // outside any event, so it gets its own client with the bot token.
  const chat = createSlackChat(botToken, { logger: boltLogger(log), ...clientOptions });
  return { bolt, chat, routerReceiver, slackStandin, signingSecret };
}
