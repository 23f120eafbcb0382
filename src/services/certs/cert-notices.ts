import { randomUUID } from 'node:crypto';
import type { Topology } from '../../config/topology-schema.js';
import { type CertEntry, certKey, expiryLevel } from '../../domain/cert-expiry.js';
import type { Logger } from '../../log.js';
import type { Chat, ChatMessage, ChatMessageRef } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { readSiteCerts } from './cert-reports.js';

const NOTICE_NS = 'cert-notice';
const LOCK_NS = 'cert-notice-lock';
/** A message is kept (and updated) this long after its certificate was renewed or went out of play. */
const KEEP_MS = 400 * 86_400_000;

interface NoticeRecord {
  ref: ChatMessageRef;
  /** What the message shows now (level and days left), so an unchanged certificate is not re-sent. */
  shown: string;
  /** False once the certificate was renewed (the message says so and is left alone). */
  open: boolean;
}

export interface CertNoticesProps {
  topology: Topology;
  store: Store;
  chat: Chat;
  clock: Clock;
  log: Logger;
  /** How the message looks (src/slack/views/cert-view.ts). */
  render: {
    warning(e: CertEntry, now: Date): ChatMessage;
    resolved(e: CertEntry | undefined): ChatMessage;
  };
  intervalMs?: number;
}

/**
 * Certificate expiry in the site's channel: one message per certificate (the site's CA and CRL, each tunnel's
 * server and client certificate), posted when it enters the 30-day warning, updated in place as the days go
 * (and at 7 days, and once expired or revoked), and marked renewed when its successor is in play. Reads the
 * monitors' reports from the store; message refs are kept there, so a restart or another replica updates the
 * same message. One replica at a time runs a round (a short lease).
 */
export class CertNotices {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly owner = `cert-notices@${randomUUID()}`;

  constructor(private readonly props: CertNoticesProps) {}

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.props.intervalMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round (never two at once); errors are logged and the round is retried next time. */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch((err: unknown) => this.props.log.warn({ err }, 'certificate notices round failed; retried'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    const { store, topology, clock } = this.props;
    if (!(await store.create(LOCK_NS, 'all', { owner: this.owner }, 30_000))) return;
    try {
      const now = new Date(clock.now());
      for (const site of await readSiteCerts(store, topology.sites)) {
        const channel = topology.sites.find((s) => s.name === site.site)?.slackChannel;
        if (!channel) continue;
        const inPlay = new Map(site.entries.map((e) => [certKey(e), e]));
        for (const e of site.entries) if (expiryLevel(e)) await this.show(channel, e, now);
        for (const rec of await store.list<NoticeRecord>(NOTICE_NS)) {
          if (!rec.key.startsWith(`${site.site}/`) || !rec.value.open) continue;
          const e = inPlay.get(rec.key);
          if (e && expiryLevel(e)) continue;
          await this.props.chat.update(rec.value.ref, this.props.render.resolved(e));
          await store.put(NOTICE_NS, rec.key, { ...rec.value, open: false }, KEEP_MS);
        }
      }
    } finally {
      await store.delete(LOCK_NS, 'all').catch(() => false);
    }
  }

  private async show(channel: string, e: CertEntry, now: Date): Promise<void> {
    const { store, chat, render } = this.props;
    const key = certKey(e);
    const message = render.warning(e, now);
    const shown = `${e.serial} ${expiryLevel(e)} ${e.daysLeft}`;
    const rec = await store.get<NoticeRecord>(NOTICE_NS, key);
    if (rec?.value.open && rec.value.shown === shown) return;
    if (rec?.value.open) {
      await chat.update(rec.value.ref, message);
      await store.put(NOTICE_NS, key, { ...rec.value, shown }, KEEP_MS);
      return;
    }
    const ref = await chat.post(channel, message);
    await store.put(NOTICE_NS, key, { ref, shown, open: true } satisfies NoticeRecord, KEEP_MS);
    this.props.log.info({ cert: key, daysLeft: e.daysLeft }, 'certificate expiry posted');
  }
}
