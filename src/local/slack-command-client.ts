import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signSlackRequest } from '../slack/request-signature.js';

export interface SlackReply {
  text?: string;
  blocks?: unknown[];
  response_type?: string;
  replace_original?: boolean;
  /** Slack message metadata: the bot's typed outcome of a `/vpn` reply (slack/commands/vpn-reply-outcome.ts). */
  metadata?: unknown;
}

/** The form body Slack sends for `/vpn <text>` (fields as in Slack's slash command docs). */
export function slashCommandBody(c: {
  text: string;
  userId: string;
  responseUrl: string;
  channelId?: string;
  triggerTag?: string;
}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_id: c.channelId ?? 'C0SANDBOX1',
    channel_name: 'tunnelops',
    user_id: c.userId,
    user_name: c.userId.toLowerCase(),
    command: '/vpn',
    text: c.text,
    api_app_id: 'A0TUNNELOPS',
    is_enterprise_install: 'false',
    response_url: c.responseUrl,
    trigger_id: `${Date.now()}.0000.${c.triggerTag ?? 'sandbox'}`,
  }).toString();
}

/**
 * Plays Slack's side of a slash command or interaction against a running tunnelops: signs the request
 * like Slack does, and serves the response_url the bot replies to. Used by the `vpn` CLI, tests and benches.
 */
export class SlackCommandClient {
  private server: Server | undefined;
  private readonly replies: SlackReply[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly baseUrl: string,
    private readonly signingSecret: string,
  ) {}

  /** Starts the local response_url server. */
  async open(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.replies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackReply);
        } catch {
          this.replies.push({ text: Buffer.concat(chunks).toString('utf8') });
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get responseUrl(): string {
    if (!this.server) throw new Error('call open() first');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/response`;
  }

  /** Every reply received on the response_url so far. */
  get received(): readonly SlackReply[] {
    return this.replies;
  }

  /** Waits until at least `count` replies arrived in total. */
  async waitForReplies(count: number, timeoutMs = 10_000): Promise<SlackReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${count} Slack replies (got ${this.replies.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.replies.slice(0, count);
  }

  /** Sends `/vpn <text>` as `userId`; returns the HTTP status and the ack body. */
  async command(
    text: string,
    userId: string,
    channelId = 'C0SANDBOX1',
  ): Promise<{ status: number; body: SlackReply | null }> {
    const body = slashCommandBody({ text, userId, channelId, responseUrl: this.responseUrl });
    return this.post(body, 'application/x-www-form-urlencoded');
  }

  /** Sends an interactivity payload (block_actions, view_submission ...) as Slack does: form field `payload`. */
  async interaction(payload: Record<string, unknown>): Promise<{ status: number; body: SlackReply | null }> {
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    return this.post(form.toString(), 'application/x-www-form-urlencoded');
  }

  /** Posts a signed raw body (property tests, benches). */
  async post(
    body: string,
    contentType: string,
    timestamp = Math.floor(Date.now() / 1000),
  ): Promise<{ status: number; body: SlackReply | null }> {
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(this.signingSecret, timestamp, body),
      },
      body,
    });
    const text = await res.text();
    let parsed: SlackReply | null = null;
    if (text) {
      try {
        parsed = JSON.parse(text) as SlackReply;
      } catch {
        parsed = { text };
      }
    }
    return { status: res.status, body: parsed };
  }
}
