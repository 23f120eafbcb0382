import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { SANDBOX_CHANNELS, SANDBOX_USERS } from './sandbox-directory.js';

/** One Web API call as the stand-in saw it. */
export interface TranscriptEntry {
  at: string;
  method: string;
  args: Record<string, unknown>;
  /** ts of the message posted or updated, when there is one. */
  ts?: string;
  /** The call was held unanswered (the lab's "Slack hangs" switch was on). */
  hung?: boolean;
}

export interface SlackStandinOptions {
  /** Append every call as a JSON line here (the sandbox transcript). */
  transcriptPath?: string;
  /** Enforce Slack's ~1 post per second per channel with HTTP 429 + Retry-After (bench:alarms). */
  postsPerSecondPerChannel?: number;
  /** Members returned by usergroups.users.list, by group id. */
  userGroups?: Record<string, string[]>;
  /** While this file exists, every call is recorded and then never answered (the lab's "Slack API hangs"). */
  hangFile?: string;
}

/**
 * A local Slack Web API: accepts the calls tunnelops makes, answers in Slack's wire format and keeps a
 * transcript. The sandbox points the real WebClient at it (slackApiUrl), so one code path runs everywhere.
 */
export class SlackStandin {
  readonly calls: TranscriptEntry[] = [];
  /** Uploaded file bytes by file id (F1, F2 ...). */
  readonly uploads = new Map<string, Buffer>();
  /** Current text/blocks of every message by `${channel}:${ts}`. */
  readonly messages = new Map<
    string,
    { channel: string; ts: string; text: string; blocks?: unknown; threadTs?: string }
  >();
  http429 = 0;
  private seq = 0;
  private readonly lastPost = new Map<string, number>();
  private readonly server: Server;

  constructor(private readonly options: SlackStandinOptions = {}) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => reply(res, 200, { ok: false, error: 'internal_error' }));
    });
  }

  /** Listens on loopback by default; the lab gives its VPC router's address so other namespaces reach it. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, host, () => resolve()));
    return `${this.url}`;
  }

  /** Base URL for WebClient's slackApiUrl (ends with /api/). */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}/api/`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  callsTo(method: string): TranscriptEntry[] {
    return this.calls.filter((c) => c.method === method);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const raw = await readRaw(req);
    // File bytes (health graphs) are kept for tests, not written into the transcript.
    if (method.startsWith('upload/'))
      this.uploads.set(method.slice('upload/'.length), uploadedFile(raw, req));
    const args = method.startsWith('upload/') ? { bytes: raw.length } : parseArgs(raw, req);
    if (!String(req.headers.authorization ?? '').startsWith('Bearer ')) {
      reply(res, 200, { ok: false, error: 'not_authed' });
      return;
    }
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (this.options.hangFile && existsSync(this.options.hangFile)) {
      this.record({ at: new Date().toISOString(), method, args, hung: true });
      return; // the caller's own timeout is all that ends this request
    }
    if (method === 'chat.postMessage' && this.options.postsPerSecondPerChannel) {
      const gap = 1000 / this.options.postsPerSecondPerChannel;
      const last = this.lastPost.get(channel) ?? 0;
      const wait = last + gap - Date.now();
      if (wait > 0) {
        this.http429++;
        res.writeHead(429, {
          'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      this.lastPost.set(channel, Date.now());
    }
    const entry: TranscriptEntry = { at: new Date().toISOString(), method, args };
    const result = this.apply(method, args, channel, entry);
    this.record(entry);
    reply(res, 200, result);
  }

  private record(entry: TranscriptEntry): void {
    this.calls.push(entry);
    if (this.options.transcriptPath) {
      mkdirSync(dirname(this.options.transcriptPath), { recursive: true });
      appendFileSync(this.options.transcriptPath, `${JSON.stringify(entry)}\n`);
    }
  }

  /** Slack's answer to one Web API call, as the stand-in keeps its messages. */
  private apply(
    method: string,
    args: Record<string, unknown>,
    channel: string,
    entry: TranscriptEntry,
  ): Record<string, unknown> {
    if (method === 'chat.postMessage') return this.postMessage(args, channel, entry);
    if (method === 'chat.update') return this.update(args, channel, entry);
    return this.directory(method, args) ?? this.other(method, args);
  }

  private postMessage(
    args: Record<string, unknown>,
    channel: string,
    entry: TranscriptEntry,
  ): Record<string, unknown> {
    const text = typeof args.text === 'string' ? args.text : '';
    const ts = this.nextTs();
    entry.ts = ts;
    const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
    this.messages.set(`${channel}:${ts}`, {
      channel,
      ts,
      text,
      blocks: args.blocks,
      ...(threadTs ? { threadTs } : {}),
    });
    return { ok: true, channel, ts, message: { type: 'message', text, ts, bot_id: 'B0TUNNELOPS' } };
  }

  private update(
    args: Record<string, unknown>,
    channel: string,
    entry: TranscriptEntry,
  ): Record<string, unknown> {
    const text = typeof args.text === 'string' ? args.text : '';
    const ts = String(args.ts ?? '');
    const key = `${channel}:${ts}`;
    const existing = this.messages.get(key);
    if (!existing) return { ok: false, error: 'message_not_found' };
    entry.ts = ts;
    this.messages.set(key, { ...existing, text, blocks: args.blocks });
    return { ok: true, channel, ts, text };
  }

  /** Who is who: the sandbox's users, channels and user groups; undefined for any other method. */
  private directory(method: string, args: Record<string, unknown>): Record<string, unknown> | undefined {
    if (method === 'users.info') {
      const id = String(args.user ?? '');
      const name = SANDBOX_USERS[id];
      return name
        ? { ok: true, user: { id, name, real_name: name, profile: { display_name: name } } }
        : { ok: false, error: 'user_not_found' };
    }
    if (method === 'conversations.info') {
      const id = String(args.channel ?? '');
      const name = SANDBOX_CHANNELS[id];
      return name
        ? { ok: true, channel: { id, name, is_channel: true } }
        : { ok: false, error: 'channel_not_found' };
    }
    if (method === 'usergroups.users.list') {
      const users = this.options.userGroups?.[String(args.usergroup ?? '')];
      return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
    }
    return undefined;
  }

  private other(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://sandbox.slack.com/',
          team: 'sandbox',
          user: 'tunnelops',
          team_id: 'T0SANDBOX',
          user_id: 'U0TUNNELOPS',
          bot_id: 'B0TUNNELOPS',
        };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
        return {
          ok: true,
          view: { id: `V${++this.seq}`, ...(typeof args.view === 'object' ? args.view : {}) },
        };
      case 'files.getUploadURLExternal':
        return { ok: true, upload_url: `${this.url}upload/F${++this.seq}`, file_id: `F${this.seq}` };
      case 'files.completeUploadExternal':
        return { ok: true, files: [{ id: 'F0', title: 'graph' }] };
      default:
        if (method.startsWith('upload/')) return { ok: true };
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
  }
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The file part of a multipart/form-data upload (what WebClient's uploadV2 sends), else the raw body. */
function uploadedFile(raw: Buffer, req: IncomingMessage): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(String(req.headers['content-type'] ?? ''));
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return raw;
  const start = raw.indexOf('\r\n\r\n', raw.indexOf('filename='));
  const end = raw.indexOf(`\r\n--${b}`, start);
  return start < 0 || end < 0 ? raw : raw.subarray(start + 4, end);
}

function parseArgs(raw: Buffer, req: IncomingMessage): Record<string, unknown> {
  const text = raw.toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/json')) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    // WebClient form-encodes arrays/objects as JSON strings.
    args[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return args;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
