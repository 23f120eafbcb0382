import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

export interface PageFeedProps {
  /** Renders the live part of the page; called once per tick for all open pages together. */
  render: () => Promise<string>;
  /** How often the overview is rebuilt while a page is open (the page shows a change within this + render time). */
  intervalMs: number;
  log: Logger;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /** At most this many open pages (each holds a socket). */
  maxClients?: number;
  /** At most this many open pages per client (one signed-in session, or one address when the page is open). */
  maxPerClient?: number;
  /** A page whose socket has not taken what was written to it within this long is dropped. */
  stuckMs?: number;
  /** ... or at once when this much waits in our buffer for it. */
  maxUnsentBytes?: number;
}

/** Browsers open at most 6 HTTP/1.1 connections per host: more streams than that are not one person's tabs. */
export const MAX_PAGES_PER_CLIENT = 8;
export const MAX_PAGES = 100;
const STUCK_MS = 10_000;
const MAX_UNSENT_BYTES = 256 * 1024;

interface Viewer {
  res: ServerResponse;
  client: string;
  /** The version of the overview this page has been sent (0: none yet). */
  sent: number;
  lastWriteAt: number;
  /** Since when what we wrote has been waiting for the socket to take it; null when nothing waits. */
  stuckSince: number | null;
}

/**
 * Server-sent events for the status page: while at least one page is open, one loop rebuilds the overview
 * every intervalMs; each page gets the newest version once its socket has taken the previous write. So a
 * page that does not read holds at most one event in our buffer (it skips versions and catches up with the
 * newest when it drains), and is dropped once it has not drained for stuckMs: a stalled reader costs a
 * bounded number of bytes for a bounded time.
 */
export class PageFeed {
  private readonly viewers = new Set<Viewer>();
  private last: string | null = null;
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;

  constructor(private readonly props: PageFeedProps) {}

  get size(): number {
    return this.viewers.size;
  }

  /** Bytes written to open pages that their sockets have not yet taken (our side only, not the kernel's). */
  get unsentBytes(): number {
    let n = 0;
    for (const v of this.viewers) n += v.res.writableLength;
    return n;
  }

  subscribe(res: ServerResponse, headers: Record<string, string>, client: string): void {
    const own = [...this.viewers].filter((v) => v.client === client).length;
    if (own >= (this.props.maxPerClient ?? MAX_PAGES_PER_CLIENT)) {
      refuse(res, headers, 429, 'too many open status pages from this client; close some\n');
      return;
    }
    if (this.stopped || this.viewers.size >= (this.props.maxClients ?? MAX_PAGES)) {
      refuse(res, headers, 503, 'too many open status pages; try again shortly\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const viewer: Viewer = { res, client, sent: 0, lastWriteAt: Date.now(), stuckSince: null };
    this.viewers.add(viewer);
    res.on('close', () => this.viewers.delete(viewer));
    if (this.last !== null) this.send(viewer, event('main', this.last), Date.now());
    if (!this.timer && !this.ticking) void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const v of this.viewers) v.res.end();
    this.viewers.clear();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.viewers.size === 0) {
      this.last = null; // stale once nobody watches
      return;
    }
    this.ticking = true;
    try {
      const html = await this.props.render();
      if (html !== this.last) {
        this.last = html;
        this.version++;
      }
      this.deliver(Date.now());
    } catch (err) {
      this.props.log.warn({ err }, 'status page: could not build the overview');
    } finally {
      this.ticking = false;
    }
    if (!this.stopped && this.viewers.size > 0)
      this.timer = setTimeout(() => void this.tick(), this.props.intervalMs);
  }

  /** Each page whose socket took the last write gets the newest version (or a keep-alive); stuck ones go. */
  private deliver(now: number): void {
    const message = this.last === null ? null : event('main', this.last);
    for (const v of this.viewers) {
      if (v.res.writableLength > 0) {
        v.stuckSince ??= now;
        if (now - v.stuckSince >= (this.props.stuckMs ?? STUCK_MS)) this.drop(v, 'not reading');
        continue;
      }
      v.stuckSince = null;
      if (message !== null && v.sent < this.version) this.send(v, message, now);
      else if (now - v.lastWriteAt >= (this.props.keepAliveMs ?? 15_000))
        this.write(v, ': keep-alive\n\n', now);
    }
  }

  private send(v: Viewer, message: string, now: number): void {
    v.sent = this.version;
    this.write(v, message, now);
  }

  private write(v: Viewer, chunk: string, now: number): void {
    v.res.write(chunk);
    v.lastWriteAt = now;
    if (v.res.writableLength > (this.props.maxUnsentBytes ?? MAX_UNSENT_BYTES))
      this.drop(v, 'too much unsent');
  }

  private drop(v: Viewer, reason: string): void {
    this.viewers.delete(v);
    this.props.log.info(
      { client: v.client, unsent: v.res.writableLength, reason },
      'status page: dropped a stream',
    );
    // destroy, not end: an orderly close would wait behind the unsent bytes, which is what we are freeing.
    v.res.destroy();
  }
}

function refuse(res: ServerResponse, headers: Record<string, string>, status: number, text: string): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' });
  res.end(text);
}

/** One SSE event; every line of the payload is its own `data:` line (the browser joins them with \n). */
function event(name: string, data: string): string {
  return `event: ${name}\n${data
    .split('\n')
    .map((line) => `data: ${line.replace(/\r/g, '')}`)
    .join('\n')}\n\n`;
}
