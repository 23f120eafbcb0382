import type { AlarmMessageDoc, AlarmRecord } from '../../domain/alarm-record.js';
import {
  DEFAULT_STORM_SETTINGS,
  decideGrouping,
  recentChanges,
  type StormSettings,
} from '../../domain/alarm-storm.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import { type ChannelState, newChannelState } from './alarm-channel-state.js';
import { AlarmLayout, homesOf } from './alarm-layout.js';
import { AlarmMessageWriter } from './alarm-message-writer.js';
import type { ChannelState as StoredChannel } from './alarm-state-store.js';
import { ShownWaiters } from './alarm-waiters.js';

export interface PublisherSettings {
  /** Gap between chat.postMessage calls in one channel (Slack allows about 1/s). */
  postIntervalMs: number;
  /** Wait this long after the first change before posting, so a burst is seen as one. */
  gatherMs: number;
  /** Gap between rounds that only update messages. */
  updateIntervalMs: number;
  /** Wait before retrying after a Slack call failed (WebClient already retried 429s after Retry-After). */
  retryMs: number;
  storm: StormSettings;
}

const DEFAULT_PUBLISHER_SETTINGS: PublisherSettings = {
  postIntervalMs: 1000,
  gatherMs: 1500,
  updateIntervalMs: 1000,
  retryMs: 5000,
  storm: DEFAULT_STORM_SETTINGS,
};

export interface AlarmPublisherProps {
  chat: Chat;
  clock: Clock;
  log: Logger;
  records: Map<string, AlarmRecord>;
  /** Persists a message doc (the service serialises writes per key). */
  saveMessage(doc: AlarmMessageDoc): Promise<void>;
  /**
   * With several replicas: the right to publish a channel for one round (a store lease), or null while
   * another replica holds it. Resolves to the release, which also waits for the round's writes.
   */
  claim?: (channel: string) => Promise<(() => Promise<void>) | null>;
  /** The channel's alarms and messages as the store holds them, read at the start of each round. */
  refresh?: (channel: string) => Promise<StoredChannel>;
  /** Posts the site's health graph in a thread, when there is one. */
  uploadGraph?: (channel: string, threadTs: string, site: string) => Promise<void>;
  settings?: Partial<PublisherSettings>;
}

/**
 * Keeps Slack showing the current state of every alarm: one message per alarm (updated in place, a thread
 * reply per state change), one per site or one storm summary when many change at once, posts paced per
 * channel. Works in rounds per channel; a round re-reads the latest state, so whatever Slack shows after
 * the last round is the final state.
 */
export class AlarmPublisher {
  private readonly channels = new Map<string, ChannelState>();
  private readonly waiters = new ShownWaiters();
  private readonly layout: AlarmLayout;
  private readonly writer: AlarmMessageWriter;
  private readonly settings: PublisherSettings;
  private stopped = false;

  constructor(private readonly props: AlarmPublisherProps) {
    this.settings = { ...DEFAULT_PUBLISHER_SETTINGS, ...props.settings };
    this.layout = new AlarmLayout({ log: props.log, saveMessage: props.saveMessage });
    this.writer = new AlarmMessageWriter({
      chat: props.chat,
      clock: props.clock,
      log: props.log,
      records: props.records,
      messages: this.layout.messages,
      waiters: this.waiters,
      saveMessage: props.saveMessage,
      ...(props.uploadGraph ? { uploadGraph: props.uploadGraph } : {}),
      postIntervalMs: this.settings.postIntervalMs,
    });
  }

  /** Every alarm message, by key. */
  get messages(): ReadonlyMap<string, AlarmMessageDoc> {
    return this.layout.messages;
  }

  load(docs: AlarmMessageDoc[]): void {
    this.layout.load(docs);
    this.applyShown(docs);
    for (const r of this.props.records.values()) if (this.isPending(r)) this.schedule(r.channel, 0);
  }

  /**
   * Takes a channel's state as the store holds it before a round: records other replicas changed, the
   * messages they posted or updated, and their recent changes (a storm spans replicas).
   */
  private sync(channel: string, stored: StoredChannel): void {
    this.layout.load(stored.docs, channel);
    const cs = this.channel(channel);
    for (const s of stored.records) {
      const local = this.props.records.get(s.id);
      if (!local) this.props.records.set(s.id, { ...s });
      else if (s.rev > local.rev) Object.assign(local, s);
      if (!cs.changes.some((c) => c.alarmId === s.id && Math.abs(c.at - s.changedAt) < 1000))
        cs.changes.push({ alarmId: s.id, site: s.site, at: s.changedAt });
    }
    this.applyShown(stored.docs, channel);
  }

  /** Each alarm's home and what Slack shows of it come from the message docs (one writer per round). */
  private applyShown(docs: AlarmMessageDoc[], channel?: string): void {
    const homes = homesOf(docs);
    for (const r of this.props.records.values()) {
      if (channel !== undefined && r.channel !== channel) continue;
      const home = homes.get(r.id);
      const shown = home?.shown?.[r.id];
      r.home = home?.key;
      r.shownRev = shown?.[0];
      r.shownState = shown?.[1];
      if (shown) this.waiters.shown(r.id, shown[0]);
    }
  }

  /** Called after a record was persisted; `stateChanged` feeds storm detection and thread replies. */
  noteChange(record: AlarmRecord, stateChanged: boolean): void {
    const cs = this.channel(record.channel);
    const now = this.props.clock.now();
    if (stateChanged) cs.changes.push({ alarmId: record.id, site: record.site, at: now });
    // A burst already has its message: keep it current at the update pace; otherwise gather first.
    const inBurst = this.layout.inBurst(record.channel);
    this.schedule(
      record.channel,
      inBurst ? Math.max(0, cs.lastRoundAt + this.settings.updateIntervalMs - now) : this.settings.gatherMs,
    );
  }

  /** Resolves once Slack shows `rev` (or later) of the alarm; rejects when a Slack call for it failed. */
  whenShown(alarmId: string, rev: number): Promise<void> {
    const r = this.props.records.get(alarmId);
    if (r && (r.shownRev ?? 0) >= rev) return Promise.resolve();
    return this.waiters.wait(alarmId, rev);
  }

  /** True when nothing is waiting to be shown (a timer that only closes finished bursts does not count). */
  idle(): boolean {
    for (const cs of this.channels.values()) if (cs.running || (cs.timer && !cs.closeOnly)) return false;
    return true;
  }

  /** Waits until idle (tests, benches, shutdown). */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const cs of this.channels.values()) if (cs.timer) clearTimeout(cs.timer);
    this.waiters.failAll((id) => new Error(`stopped before alarm ${id} was shown`));
  }

  private channel(id: string): ChannelState {
    let cs = this.channels.get(id);
    if (!cs) {
      cs = newChannelState();
      this.channels.set(id, cs);
    }
    return cs;
  }

  private isPending(r: AlarmRecord): boolean {
    return (r.shownRev ?? 0) < r.rev;
  }

  private schedule(channel: string, delayMs: number, closeOnly = false): void {
    if (this.stopped) return;
    const cs = this.channel(channel);
    if (cs.running) return; // the running round reschedules itself when it ends
    const at = this.props.clock.now() + delayMs;
    if (cs.timer && cs.timerAt !== undefined && cs.timerAt <= at) return;
    if (cs.timer) clearTimeout(cs.timer);
    cs.timerAt = at;
    cs.closeOnly = closeOnly;
    cs.timer = setTimeout(() => void this.round(channel), Math.max(0, delayMs));
  }

  private async round(channel: string): Promise<void> {
    const cs = this.channel(channel);
    cs.timer = undefined;
    cs.timerAt = undefined;
    cs.running = true;
    cs.lastRoundAt = this.props.clock.now();
    let failed = false;
    let busy = false;
    try {
      const release = this.props.claim ? await this.props.claim(channel) : async () => undefined;
      if (!release) busy = true;
      else {
        try {
          if (this.props.refresh) this.sync(channel, await this.props.refresh(channel));
          failed = !(await this.work(channel, cs));
        } finally {
          await release();
        }
      }
    } catch (err) {
      failed = true;
      this.props.log.error({ err, channel }, 'alarm publishing round failed');
    } finally {
      cs.running = false;
    }
    // Another replica is publishing this channel: look again once its round is over; what it did not
    // show yet (a change this replica ingested after its read) is ours to show then.
    if (busy) this.schedule(channel, this.settings.updateIntervalMs);
    else this.reschedule(channel, cs, failed);
  }

  private reschedule(channel: string, cs: ChannelState, failed: boolean): void {
    const now = this.props.clock.now();
    const needPost = this.layout.unposted(channel).length > 0 || cs.extras.size > 0;
    const pending = [...this.props.records.values()].some((r) => r.channel === channel && this.isPending(r));
    if (failed) this.schedule(channel, this.settings.retryMs);
    else if (needPost) this.schedule(channel, Math.max(cs.nextPostAt - now, this.settings.updateIntervalMs));
    else if (pending) this.schedule(channel, this.settings.updateIntervalMs);
    else if (this.layout.inBurst(channel)) this.schedule(channel, this.settings.storm.windowMs, true); // to close bursts
  }

  /** One round: place changed alarms, post at most one message, update every message whose content changed. */
  private async work(channel: string, cs: ChannelState): Promise<boolean> {
    const now = this.props.clock.now();
    cs.changes = recentChanges(cs.changes, now, this.settings.storm);
    const grouping = decideGrouping(cs.changes, now, this.settings.storm);
    const dirty = new Set<string>();
    this.layout.closeFinished(channel, grouping, dirty);
    if (grouping.storm) cs.extras.clear(); // no thread replies in a storm
    for (const r of this.props.records.values()) {
      if (r.channel !== channel || !this.isPending(r)) continue;
      const placed = this.layout.place(r, grouping, dirty, now);
      if (placed.kind === 'moved') cs.extras.delete(r.id);
      else if (placed.home.kind === 'alarm' && placed.home.ref && r.shownState !== r.state) {
        cs.extras.set(r.id, { kind: 'reply', from: r.shownState });
      }
    }
    let ok = true;
    // Posts: the most encompassing message first; one per round keeps to the channel's pace.
    if (now >= cs.nextPostAt) {
      const next = this.layout.unposted(channel)[0];
      if (next) ok = (await this.writer.post(next, cs)) && ok;
      else ok = (await this.writer.postExtra(channel, cs)) && ok;
    }
    for (const key of dirty) {
      const doc = this.messages.get(key);
      if (doc?.ref) ok = (await this.writer.update(doc)) && ok;
    }
    return ok;
  }
}
