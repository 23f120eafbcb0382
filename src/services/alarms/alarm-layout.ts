import type { AlarmMessageDoc, AlarmRecord } from '../../domain/alarm-record.js';
import { type Grouping, placeAlarm } from '../../domain/alarm-storm.js';
import type { Logger } from '../../log.js';

export interface AlarmLayoutProps {
  log: Logger;
  saveMessage(doc: AlarmMessageDoc): Promise<void>;
}

export type PlaceResult =
  | { kind: 'kept'; home: AlarmMessageDoc }
  | { kind: 'moved'; target: AlarmMessageDoc };

/**
 * Which Slack message shows which alarm: every alarm has one home message; a burst gathers changing alarms
 * into one site message or one storm summary per channel (open while the burst lasts). Messages an alarm
 * leaves are marked dirty, so they are re-rendered without it.
 */
export class AlarmLayout {
  readonly messages = new Map<string, AlarmMessageDoc>();
  private readonly groups = new Map<string, { stormKey?: string; siteKeys: Map<string, string> }>();
  private seq = 0;

  constructor(private readonly props: AlarmLayoutProps) {}

  /**
   * Takes the channel's messages as the store holds them (another replica may have posted, moved or closed
   * some), dropping what this replica kept of that channel; `channel` undefined loads every channel.
   */
  load(docs: AlarmMessageDoc[], channel?: string): void {
    if (channel !== undefined) {
      for (const [key, d] of this.messages) if (d.channel === channel) this.messages.delete(key);
      this.groups.delete(channel);
    }
    for (const d of docs) {
      this.messages.set(d.key, d);
      if (!d.open) continue;
      if (d.kind === 'storm') this.group(d.channel).stormKey = d.key;
      if (d.kind === 'site' && d.site) this.group(d.channel).siteKeys.set(d.site, d.key);
    }
  }

  /** True while the channel has an open site message or storm summary. */
  inBurst(channel: string): boolean {
    const g = this.groups.get(channel);
    return g !== undefined && (g.stormKey !== undefined || g.siteKeys.size > 0);
  }

  /** Messages of the channel still to be posted, the most encompassing first. */
  unposted(channel: string): AlarmMessageDoc[] {
    return [...this.messages.values()]
      .filter((d) => d.channel === channel && !d.ref && d.alarmIds.length > 0)
      .sort((a, b) => rank(a) - rank(b) || a.createdAt - b.createdAt);
  }

  /** Closes the site/storm messages whose burst is over. */
  closeFinished(channel: string, grouping: Grouping, dirty: Set<string>): void {
    const g = this.group(channel);
    const close = (key: string) => {
      const doc = this.messages.get(key);
      if (!doc) return;
      doc.open = false;
      dirty.add(key);
      this.background(this.props.saveMessage(doc));
    };
    if (!grouping.storm && g.stormKey) {
      close(g.stormKey);
      g.stormKey = undefined;
    }
    for (const [site, key] of g.siteKeys) {
      if (grouping.storm || !grouping.coalescedSites.has(site)) {
        close(key);
        g.siteKeys.delete(site);
      }
    }
  }

  /** Gives a changed alarm its home for this round; its old and new messages become dirty. */
  place(r: AlarmRecord, grouping: Grouping, dirty: Set<string>, now: number): PlaceResult {
    const home = r.home ? this.messages.get(r.home) : undefined;
    const placement = placeAlarm(
      { site: r.site, state: r.state, home: home ? { kind: home.kind, open: home.open } : null },
      grouping,
    );
    if (placement.kind === 'keep' && home) {
      dirty.add(home.key);
      return { kind: 'kept', home };
    }
    const g = this.group(r.channel);
    let target: AlarmMessageDoc;
    if (placement.kind === 'storm') {
      target = (g.stormKey && this.messages.get(g.stormKey)) || this.newDoc('storm', r.channel, now);
      g.stormKey = target.key;
    } else if (placement.kind === 'site') {
      const key = g.siteKeys.get(placement.site);
      target = (key && this.messages.get(key)) || this.newDoc('site', r.channel, now, placement.site);
      g.siteKeys.set(placement.site, target.key);
    } else {
      target = this.newDoc('alarm', r.channel, now, r.site ?? undefined);
    }
    if (home) {
      home.alarmIds = home.alarmIds.filter((id) => id !== r.id);
      home.movedOut++;
      dirty.add(home.key);
      this.background(this.props.saveMessage(home));
    }
    target.alarmIds.push(r.id);
    // The record's home is where a message lists it (homeOf): only the message docs are written here.
    r.home = target.key;
    dirty.add(target.key);
    return { kind: 'moved', target };
  }

  private group(channel: string) {
    let g = this.groups.get(channel);
    if (!g) {
      g = { siteKeys: new Map() };
      this.groups.set(channel, g);
    }
    return g;
  }

  private newDoc(
    kind: AlarmMessageDoc['kind'],
    channel: string,
    now: number,
    site?: string,
  ): AlarmMessageDoc {
    const doc: AlarmMessageDoc = {
      key: `${kind}:${channel}:${now.toString(36)}${(++this.seq).toString(36)}`,
      kind,
      channel,
      ...(site ? { site } : {}),
      alarmIds: [],
      open: kind !== 'alarm',
      movedOut: 0,
      createdAt: now,
    };
    this.messages.set(doc.key, doc);
    return doc;
  }

  /** A write nobody waits for: a failure is logged (the next change writes the same state again). */
  private background(write: Promise<void>): void {
    write.catch((err) => this.props.log.warn({ err }, 'could not persist alarm message state'));
  }
}

/** Each alarm's home: the newest message that lists it (an older one may still list it if a write failed). */
export function homesOf(docs: Iterable<AlarmMessageDoc>): Map<string, AlarmMessageDoc> {
  const homes = new Map<string, AlarmMessageDoc>();
  for (const d of docs)
    for (const id of d.alarmIds) {
      const seen = homes.get(id);
      if (!seen || seen.createdAt < d.createdAt) homes.set(id, d);
    }
  return homes;
}

const rank = (d: AlarmMessageDoc): number => (d.kind === 'storm' ? 0 : d.kind === 'site' ? 1 : 2);
