import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

export interface PageFeedProps {
  /**
   * Renders the live parts of the page, by id (the element id each replaces); called once per tick for all
   * open pages together. A part is sent to a page only when it changed since that page last got it.
   */
  render: () => Promise<ReadonlyMap<string, string>>;
  /** How often the parts are rebuilt while a page is open (the page shows a change within this + render time). */
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
  /** The generation of the parts this page has (0: none). */
  seen: number;
  lastWriteAt: number;
  /** Since when what we wrote has been waiting for the socket to take it; null when nothing waits. */
  stuckSince: number | null;
}

/**
 * Server-sent events for the status page: while at least one page is open, one loop re-renders the page's
 * parts every intervalMs; each part remembers the generation it last changed in, and each page gets, once its
 * socket has taken the previous write, only the parts that changed since the generation it has. An idle fleet
 * costs a viewer a timestamp per tick, not the page. A page that does not read holds at most one write in our
 * buffer (it catches up with what changed meanwhile when it drains), and is dropped once it has not drained
 * for stuckMs: a stalled reader costs a bounded number of bytes for a bounded time.
 */
export class PageFeed {
  private readonly viewers = new Set<Viewer>();
  private readonly parts = new Map<string, { data: string; gen: number }>();
  private gen = 0;
  /** Tells this process's generations from another's (a restarted bot): a page from before gets every part. */
  private readonly epoch = randomBytes(4).toString('hex');
  private renderedAt = 0;
  private rendering: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
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

  /**
   * The parts as of at most intervalMs ago (rendered now when older), and the token a page built from them
   * passes to /events (`?since=`), so its stream starts with what changed after it, not the whole page again.
   */
  async current(): Promise<{ parts: Map<string, string>; since: string }> {
    if (this.parts.size === 0 || Date.now() - this.renderedAt >= this.props.intervalMs) await this.refresh();
    return {
      parts: new Map([...this.parts].map(([id, p]) => [id, p.data])),
      since: `${this.epoch}.${this.gen}`,
    };
  }

  subscribe(res: ServerResponse, headers: Record<string, string>, client: string, since?: string): void {
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
    const viewer: Viewer = {
      res,
      client,
      seen: this.seenOf(since),
      lastWriteAt: Date.now(),
      stuckSince: null,
    };
    this.viewers.add(viewer);
    res.on('close', () => this.viewers.delete(viewer));
    if (this.parts.size > 0) this.catchUp(viewer, Date.now());
    if (!this.timer && !this.rendering) void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const v of this.viewers) v.res.end();
    this.viewers.clear();
  }

  /** A `since` token of this process's feed gives its generation; anything else (or none) gets every part. */
  private seenOf(since: string | undefined): number {
    const m = since === undefined ? null : /^([0-9a-f]{8})\.(\d{1,15})$/.exec(since);
    if (!m || m[1] !== this.epoch) return 0;
    const gen = Number(m[2]);
    return gen <= this.gen ? gen : 0;
  }

  /** Renders the parts once for every caller at the time (single flight). */
  private refresh(): Promise<void> {
    this.rendering ??= (async () => {
      try {
        const next = await this.props.render();
        const gen = this.gen + 1;
        let changed = false;
        for (const [id, data] of next) {
          if (this.parts.get(id)?.data === data) continue;
          this.parts.set(id, { data, gen });
          changed = true;
        }
        if (changed) this.gen = gen;
        this.renderedAt = Date.now();
      } finally {
        this.rendering = null;
      }
    })();
    return this.rendering;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.viewers.size === 0) return;
    try {
      await this.refresh();
      this.deliver(Date.now());
    } catch (err) {
      this.props.log.warn({ err }, 'status page: could not build the overview');
    }
    if (!this.stopped && this.viewers.size > 0)
      this.timer = setTimeout(() => void this.tick(), this.props.intervalMs);
  }

  /** Each page whose socket took the last write gets what changed since (or a keep-alive); stuck ones go. */
  private deliver(now: number): void {
    for (const v of this.viewers) {
      if (v.res.writableLength > 0) {
        v.stuckSince ??= now;
        if (now - v.stuckSince >= (this.props.stuckMs ?? STUCK_MS)) this.drop(v, 'not reading');
        continue;
      }
      v.stuckSince = null;
      if (!this.catchUp(v, now) && now - v.lastWriteAt >= (this.props.keepAliveMs ?? 15_000))
        this.write(v, ': keep-alive\n\n', now);
    }
  }

  /** Writes the parts changed since the viewer's generation, as one chunk; false when there were none. */
  private catchUp(v: Viewer, now: number): boolean {
    if (v.seen >= this.gen) return false;
    let chunk = '';
    for (const [id, p] of this.parts) if (p.gen > v.seen) chunk += event('main', `${id}\n${p.data}`);
    v.seen = this.gen;
    if (!chunk) return false;
    this.write(v, chunk, now);
    return true;
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

/**
 * One SSE event; every line of the payload is its own `data:` line (the browser joins them with \n). The
 * page's events are all `main`: the part's id on the first line, its content after.
 */
function event(name: string, data: string): string {
  return `event: ${name}\n${data
    .split('\n')
    .map((line) => `data: ${line.replace(/\r/g, '')}`)
    .join('\n')}\n\n`;
}
