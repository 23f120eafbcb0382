import type { Site } from '../../config/topology-schema.js';
import type { ControllerNotice, FleetEventView } from '../../domain/message-views.js';
import type { Chat, ChatMessageRef } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';

const NS = 'fleet-event';
/** Notices this close to the event's last one join it; after a quiet spell the next one starts a new message. */
export const EVENT_WINDOW_MS = 3 * 60_000;
/** An event's record is kept a day (a late notice of a long event still finds its message). */
const KEEP_MS = 24 * 3600_000;
/** A record stays well under DynamoDB's 400 KB item: past this many notices the next one starts a new event. */
const MAX_NOTICES = 500;
const WRITE_ATTEMPTS = 10;

interface EventRecord extends FleetEventView {
  channel: string;
  lastAt: number;
  ref: ChatMessageRef | null;
  replies: ChatMessageRef[];
  /** What Slack shows now (message text, then each reply's), so an unchanged part is not sent again. */
  shown: string[];
  /** Slack is behind the record (a post or update failed, or another replica added notices meanwhile). */
  dirty: boolean;
}

export interface SiteNotice {
  site: Site;
  notice: ControllerNotice;
}

/**
 * One event, one message: the notices of sites whose failed tunnel sits in the same AZ (the region, when the
 * AZ is not in tunnels.yml), in the same channel, within EVENT_WINDOW_MS of each other, are one Slack message
 * updated in place, each site's line in its thread (EVENT_SITES_PER_REPLY a reply). An AZ outage across 250
 * sites is 1 message and 3 replies, not 250 posts. The event lives in the store, so the bot's replicas and a
 * restarted bot add to the same message; a failed post or update is retried on the next pass (`dirty`).
 */
export class FleetEventNotices {
  constructor(private readonly props: { store: Store; chat: Chat; clock: Clock }) {}

  /** Adds the notices to their events (one write per event) and brings each event's message up to date. */
  async add(notices: readonly SiteNotice[]): Promise<void> {
    const groups = new Map<
      string,
      { channel: string; region: string; az: string | null; items: SiteNotice[] }
    >();
    for (const n of notices) {
      const az = failedAz(n);
      const key = `${n.site.slackChannel}/${n.site.region}/${az ?? '-'}`;
      const g = groups.get(key) ?? { channel: n.site.slackChannel, region: n.site.region, az, items: [] };
      g.items.push(n);
      groups.set(key, g);
    }
    for (const [key, g] of groups) {
      await this.append(key, g.channel, g.region, g.az, g.items);
      await this.sync(key);
    }
  }

  /** Retries the events Slack is behind on (called every relay pass; the namespace holds a day of events). */
  async retry(): Promise<void> {
    for (const rec of await this.props.store.list<EventRecord>(NS))
      if (rec.value.dirty) await this.sync(rec.key);
  }

  private async append(
    key: string,
    channel: string,
    region: string,
    az: string | null,
    items: SiteNotice[],
  ): Promise<void> {
    const { store, clock } = this.props;
    const now = clock.now();
    const at = new Date(now).toISOString();
    const added = items.map((i) => ({ site: i.site.name, notice: i.notice, at }));
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const rec = await store.get<EventRecord>(NS, key);
      const old = rec?.value;
      const fresh = !old || now - old.lastAt > EVENT_WINDOW_MS || old.notices.length >= MAX_NOTICES;
      const value: EventRecord = fresh
        ? {
            channel,
            region,
            az,
            startedAt: at,
            lastAt: now,
            notices: added,
            ref: null,
            replies: [],
            shown: [],
            dirty: true,
          }
        : { ...old, lastAt: now, notices: [...old.notices, ...added], dirty: true };
      const written = rec
        ? await store.compareAndSet(NS, key, rec.version, value, KEEP_MS)
        : await store.create(NS, key, value, KEEP_MS);
      if (written) return;
    }
    throw new Error(`fleet event ${key}: the record kept changing`);
  }

  /**
   * Makes Slack show the record: posts the message (once) and missing replies, updates what changed, then
   * stores the refs. A failure leaves the record dirty for the next pass.
   */
  private async sync(key: string): Promise<void> {
    const { store, chat } = this.props;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const rec = await store.get<EventRecord>(NS, key);
      if (!rec?.value.dirty) return;
      const ev = { ...rec.value, replies: [...rec.value.replies], shown: [...rec.value.shown] };
      const view = chat.render.fleetEvent(ev);
      const wanted = [view.message.text, ...view.replies.map((r) => r.text)];
      let failed = false;
      try {
        if (!ev.ref) ev.ref = await chat.post(ev.channel, view.message);
        else if (ev.shown[0] !== wanted[0]) await chat.update(ev.ref, view.message);
        ev.shown[0] = wanted[0]!;
        for (const [i, reply] of view.replies.entries()) {
          const ref = ev.replies[i];
          if (!ref) ev.replies[i] = await chat.post(ev.channel, { ...reply, threadTs: ev.ref.ts });
          else if (ev.shown[i + 1] !== wanted[i + 1]) await chat.update(ref, reply);
          ev.shown[i + 1] = wanted[i + 1]!;
        }
      } catch {
        failed = true; // what was posted is kept below; the rest is retried on the next pass
      }
      const done = !failed && ev.notices.length === rec.value.notices.length;
      if (await store.compareAndSet(NS, key, rec.version, { ...ev, dirty: !done }, KEEP_MS)) {
        if (failed) return;
        continue; // another writer may have added notices meanwhile: the loop re-reads until clean
      }
      // Someone else wrote between: keep the refs we made, then look again.
      await this.keepRefs(key, ev);
    }
  }

  /** Stores refs made by a sync whose write lost a race, so the next sync updates them instead of posting again. */
  private async keepRefs(key: string, ev: EventRecord): Promise<void> {
    const { store } = this.props;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const rec = await store.get<EventRecord>(NS, key);
      if (!rec || rec.value.startedAt !== ev.startedAt) return;
      const replies = ev.replies.map((r, i) => rec.value.replies[i] ?? r);
      const value = { ...rec.value, ref: rec.value.ref ?? ev.ref, replies, dirty: true };
      if (await store.compareAndSet(NS, key, rec.version, value, KEEP_MS)) return;
    }
  }
}

/** The AZ of the tunnel that failed: the one a failover left (or would have left); none for an alert. */
function failedAz({ site, notice }: SiteNotice): string | null {
  if (notice.kind !== 'failover') return null;
  const from = notice.result.ok ? notice.result.from : site.tunnels.find((t) => t.name !== notice.to)?.name;
  return site.tunnels.find((t) => t.name === from)?.availabilityZone ?? null;
}
