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
}

/**
 * Server-sent events for the status page: while at least one page is open, one loop rebuilds the overview
 * every intervalMs and sends it to every page when it changed. No page open, no work.
 */
export class PageFeed {
  private readonly clients = new Set<ServerResponse>();
  private last: string | null = null;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;

  constructor(private readonly props: PageFeedProps) {}

  get size(): number {
    return this.clients.size;
  }

  subscribe(res: ServerResponse, headers: Record<string, string>): void {
    if (this.stopped || this.clients.size >= (this.props.maxClients ?? 100)) {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' });
      res.end('too many open status pages; try again shortly\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    if (this.last !== null) res.write(event('main', this.last));
    if (!this.timer && !this.ticking) void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.clients.size === 0) {
      this.last = null; // stale once nobody watches
      return;
    }
    this.ticking = true;
    try {
      const html = await this.props.render();
      const now = Date.now();
      if (html !== this.last) {
        this.last = html;
        this.broadcast(event('main', html), now);
      } else if (now - this.lastSentAt >= (this.props.keepAliveMs ?? 15_000)) {
        this.broadcast(': keep-alive\n\n', now);
      }
    } catch (err) {
      this.props.log.warn({ err }, 'status page: could not build the overview');
    } finally {
      this.ticking = false;
    }
    if (!this.stopped && this.clients.size > 0)
      this.timer = setTimeout(() => void this.tick(), this.props.intervalMs);
  }

  private broadcast(chunk: string, now: number): void {
    this.lastSentAt = now;
    for (const res of this.clients) res.write(chunk);
  }
}

/** One SSE event; every line of the payload is its own `data:` line (the browser joins them with \n). */
function event(name: string, data: string): string {
  return `event: ${name}\n${data
    .split('\n')
    .map((line) => `data: ${line.replace(/\r/g, '')}`)
    .join('\n')}\n\n`;
}
