import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Chat, ChatMessage, ChatMessageRef } from '../ports/chat.js';
import { withTimeout } from '../with-timeout.js';
import { slackRenderer } from './views/slack-renderer.js';

/**
 * WebClient settings for every client we build: WebClient's default retries for up to ~30 minutes with no
 * request timeout, which during an alarm storm (Slack rate-limiting us) holds anything awaiting it for that
 * long. Bounded instead: 10 s per HTTP request, 2 quick retries.
 */
export const SLACK_CLIENT_DEFAULTS = {
  timeout: 10_000,
  retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 3_000 },
} satisfies WebClientOptions;

/** The one way a process builds its Chat: a bot-token WebClient with SLACK_CLIENT_DEFAULTS, `options` on top. */
export function createSlackChat(botToken: string, options: WebClientOptions = {}): SlackChat {
  return new SlackChat(new WebClient(botToken, { ...SLACK_CLIENT_DEFAULTS, ...options }));
}

/** The deadline of one Chat call, retries and rate-limit waits included. */
export const SLACK_CALL_TIMEOUT_MS = 20_000;

/**
 * The Chat port over Slack's Web API (or the local stand-in the sandbox points WebClient at). Every call has
 * an overall deadline (a rate-limited call waits Retry-After inside WebClient, which its own timeout does not
 * cover), after which it rejects with a TimeoutError.
 */
export class SlackChat implements Chat {
  readonly render = slackRenderer;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: WebClient,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? SLACK_CALL_TIMEOUT_MS;
  }

  private bounded<T>(call: Promise<T>, method: string): Promise<T> {
    return withTimeout(call, this.timeoutMs, `Slack ${method}: no answer`);
  }

  async post(channel: string, message: ChatMessage): Promise<ChatMessageRef> {
    const res = await this.bounded(
      this.client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      }),
      'chat.postMessage',
    );
    return { channel: res.channel ?? channel, ts: String(res.ts) };
  }

  async update(ref: ChatMessageRef, message: ChatMessage): Promise<void> {
    await this.bounded(
      this.client.chat.update({
        channel: ref.channel,
        ts: ref.ts,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
      }),
      'chat.update',
    );
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    await this.bounded(
      this.client.chat.postEphemeral({
        channel,
        user,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
      }),
      'chat.postEphemeral',
    );
  }

  async uploadFile(
    channel: string,
    file: { data: Buffer; filename: string; title: string; threadTs?: string },
  ): Promise<void> {
    const common = { channel_id: channel, file: file.data, filename: file.filename, title: file.title };
    await this.bounded(
      this.client.files.uploadV2(file.threadTs ? { ...common, thread_ts: file.threadTs } : common),
      'files.uploadV2',
    );
  }

  async userName(userId: string): Promise<string | null> {
    const res = await this.bounded(this.client.users.info({ user: userId }), 'users.info');
    const u = res.user;
    return u?.profile?.display_name || u?.real_name || u?.name || null;
  }

  async userGroupMembers(groupId: string): Promise<string[]> {
    const res = await this.bounded(
      this.client.usergroups.users.list({ usergroup: groupId }),
      'usergroups.users.list',
    );
    return res.users ?? [];
  }
}
