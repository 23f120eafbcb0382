import { randomUUID } from 'node:crypto';
import type { Topology } from '../../config/topology-schema.js';
import type { AlarmEvent, ParsedAlarm } from '../../domain/alarm-event.js';
import { type AlarmTarget, mapAlarm } from '../../domain/alarm-mapping.js';
import { parseAlarmMessage } from '../../domain/alarm-parse.js';
import { type AlarmRecord, applyAlarmEvent } from '../../domain/alarm-record.js';
import { findSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { SerialByKey } from '../../serial-by-key.js';
import type { IngestResult, NotificationSink } from '../../sns/sns-endpoint.js';
import type { SnsNotification } from '../../sns/sns-message.js';
import { AlarmPublisher, type PublisherSettings } from './alarm-publisher.js';
import { AlarmStateStore } from './alarm-state-store.js';

export const NS_SEEN = 'sns-seen';
/** How long one replica publishes a channel before another may (a round takes a few Slack calls). */
const PUBLISH_LEASE_MS = 30_000;
const NS_PUBLISH = 'alarm-publish';

export interface AlarmIngest extends IngestResult {
  alarmId?: string;
  /** Resolves once Slack shows this change (SQS deletes the message only then). Call it only if you wait. */
  settled: () => Promise<void>;
}

export interface AlarmServiceProps {
  topology: Topology;
  store: Store;
  chat: Chat;
  clock: Clock;
  log: Logger;
  /** Channel for alarms that map to no site (default: the first site's channel). */
  defaultChannel?: string;
  /** How long a MessageId is remembered; at least the verifier's max message age, so replays are caught. */
  dedupeTtlMs?: number;
  uploadGraph?: (channel: string, threadTs: string, site: string) => Promise<void>;
  publisher?: Partial<PublisherSettings>;
}

const done = () => Promise.resolve();

const sameChange = (known: AlarmRecord, event: AlarmEvent): boolean =>
  known.state === event.state && known.since === event.since && known.reason === event.reason;

type Decided =
  | { kind: 'same'; record: AlarmRecord }
  | { kind: 'older' }
  | { kind: 'applied'; record: AlarmRecord; stateChanged: boolean };

/**
 * What an event does to the stored record (another replica may have applied newer changes than this one has):
 * nothing when it shows the same change again or an older one, else the next record.
 */
function decide(
  known: AlarmRecord | null,
  event: AlarmEvent,
  target: AlarmTarget | null,
  channel: string,
  now: number,
): { next: AlarmRecord | null; out: Decided } {
  // The same state, time and reason again (a re-post, not an SNS retry): Slack already shows it.
  if (known && sameChange(known, event)) return { next: null, out: { kind: 'same', record: known } };
  const applied = applyAlarmEvent(known, event, target, channel, now);
  if (applied.kind === 'older') return { next: null, out: { kind: 'older' } };
  return { next: applied.record, out: applied };
}

/**
 * Alarms in, Slack out. `ingest` dedupes on MessageId (persisted, with a TTL), applies the change to the
 * stored alarm state (ignoring out-of-order older deliveries) and hands it to the publisher, which keeps
 * one Slack message per alarm (or per site, or one storm summary) showing the latest state.
 */
export class AlarmService implements NotificationSink {
  readonly records = new Map<string, AlarmRecord>();
  readonly publisher: AlarmPublisher;
  private readonly writes = new SerialByKey();
  private readonly state: AlarmStateStore;
  private readonly dedupeTtlMs: number;
  private readonly defaultChannel: string;

  constructor(private readonly props: AlarmServiceProps) {
    this.dedupeTtlMs = props.dedupeTtlMs ?? 2 * 60 * 60 * 1000;
    this.defaultChannel = props.defaultChannel ?? props.topology.sites[0]?.slackChannel ?? '';
    this.state = new AlarmStateStore(props.store);
    // Every replica ingests alarms (SQS, POST /sns, the Acknowledge button); one at a time publishes a
    // channel, from the channel's state as the store holds it, so an alarm is posted once and updated in place.
    // Its own namespace, not the site locks' (whose keys are sites): a channel is not a site.
    const owner = `alarms@${randomUUID()}`;
    this.publisher = new AlarmPublisher({
      chat: props.chat,
      clock: props.clock,
      log: props.log.child({ component: 'alarm-publisher' }),
      records: this.records,
      saveMessage: async (d) => {
        await this.serial(`m:${d.key}`, () => this.state.saveMessage(d));
      },
      claim: async (channel) => {
        if (!(await props.store.create(NS_PUBLISH, channel, { owner }, PUBLISH_LEASE_MS))) return null;
        return async () => {
          // Nothing this round wrote may land after the next holder read the channel.
          await this.flushWrites();
          const held = await props.store.get<{ owner: string }>(NS_PUBLISH, channel);
          if (held?.value.owner === owner) await props.store.delete(NS_PUBLISH, channel, held.version);
        };
      },
      refresh: (channel) => this.state.channel(channel),
      ...(props.uploadGraph ? { uploadGraph: props.uploadGraph } : {}),
      ...(props.publisher ? { settings: props.publisher } : {}),
    });
  }

  /** Loads stored alarms and message refs; anything Slack does not show yet is published again. */
  async start(): Promise<void> {
    const { records, docs } = await this.state.all();
    for (const r of records) this.records.set(r.id, r);
    this.publisher.load(docs);
  }

  stop(): void {
    this.publisher.stop();
  }

  async ingest(notification: SnsNotification, log: Logger): Promise<AlarmIngest> {
    return this.ingestMessage(notification.MessageId, notification.Message, log);
  }

  /** Shared by SNS (HTTPS) and SQS: `messageId` is SNS's MessageId, `message` the alarm/event JSON. */
  async ingestMessage(messageId: string, message: string, log: Logger): Promise<AlarmIngest> {
    const parsed = parseAlarmMessage(message);
    const fresh = await this.props.store.create(
      NS_SEEN,
      messageId,
      { at: this.props.clock.now() },
      this.dedupeTtlMs,
    );
    if (!fresh) return this.redelivered(parsed);
    if (parsed.kind === 'ignored') {
      log.info({ reason: parsed.reason }, 'notification is not an alarm tunnelops handles');
      return { status: 'ignored', reason: parsed.reason, settled: done };
    }
    const event = parsed.event;
    try {
      return await this.serial(`a:${event.id}`, () => this.apply(event));
    } catch (err) {
      // Not applied: forget the MessageId so SNS's (or SQS's) retry is not taken for a duplicate.
      await this.props.store.delete(NS_SEEN, messageId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * At-least-once delivery: already applied, maybe by another replica. For SQS, still wait until Slack
   * shows that alarm (whichever replica publishes it).
   */
  private async redelivered(parsed: ParsedAlarm): Promise<AlarmIngest> {
    const id = parsed.kind === 'alarm' ? parsed.event.id : undefined;
    const stored = id ? await this.state.record(id) : null;
    const r = stored ? this.adopt(stored) : undefined;
    if (r && (r.shownRev ?? 0) < r.rev) this.publisher.noteChange(r, false);
    return {
      status: 'duplicate',
      ...(id ? { alarmId: id } : {}),
      settled: r ? () => this.publisher.whenShown(r.id, r.rev) : done,
    };
  }

  /** Applies the event to the stored record, decided on it rather than this replica's copy (see `decide`). */
  private async apply(event: AlarmEvent): Promise<AlarmIngest> {
    const target = mapAlarm(this.props.topology, event);
    const channel =
      (target && findSite(this.props.topology, target.site)?.slackChannel) ?? this.defaultChannel;
    const now = this.props.clock.now();
    const outcome = await this.state.change<Decided>(event.id, (known) =>
      decide(known, event, target, channel, now),
    );
    if (outcome.kind === 'older') {
      return {
        status: 'ignored',
        reason: 'older than the state already known',
        alarmId: event.id,
        settled: done,
      };
    }
    const record = this.adopt(outcome.record);
    const rev = outcome.record.rev;
    if (outcome.kind === 'same') {
      // Another replica may be the one showing it: our round reads the channel back and sees it shown.
      if ((record.shownRev ?? 0) < record.rev) this.publisher.noteChange(record, false);
      return {
        status: 'duplicate',
        reason: 'already shown',
        alarmId: event.id,
        settled: () => this.publisher.whenShown(record.id, rev),
      };
    }
    this.publisher.noteChange(record, outcome.stateChanged);
    return {
      status: 'accepted',
      alarmId: record.id,
      settled: () => this.publisher.whenShown(record.id, rev),
    };
  }

  /**
   * Takes a stored record into this replica's copy. The copy renders messages; its Slack bookkeeping (home,
   * what is shown) comes from the message docs, which the publisher reads back before each round.
   */
  private adopt(stored: AlarmRecord): AlarmRecord {
    const current = this.records.get(stored.id);
    if (!current) {
      this.records.set(stored.id, { ...stored });
      return this.records.get(stored.id)!;
    }
    if (stored.rev >= current.rev)
      Object.assign(current, {
        ...stored,
        home: current.home,
        shownRev: current.shownRev,
        shownState: current.shownState,
      });
    return current;
  }

  /** Records who acknowledged the alarms of a message; shown in it and in the audit log. */
  async acknowledge(messageKey: string, user: string): Promise<AlarmRecord[]> {
    // The click may land on a replica that never published this message: the store knows it.
    const doc = await this.state.message(messageKey);
    if (!doc) return [];
    const at = new Date(this.props.clock.now()).toISOString();
    const acked: AlarmRecord[] = [];
    for (const id of doc.alarmIds) {
      const stored = await this.serial(`a:${id}`, () =>
        this.state.change(id, (r) => {
          if (!r || r.state === 'OK' || r.ack) return { next: null, out: null };
          const next = { ...r, ack: { by: user, at }, rev: r.rev + 1 };
          return { next, out: next };
        }),
      );
      if (!stored) continue;
      await this.props.store.appendAudit({
        at,
        site: stored.site ?? '-',
        action: 'alarm',
        actor: user,
        event: 'acknowledged',
        detail: { alarm: stored.name, state: stored.state },
      });
      const r = this.adopt(stored);
      this.publisher.noteChange(r, false);
      acked.push(r);
    }
    return acked;
  }

  /** Alarms shown in a message (for the Fail over button's evidence), as the store holds them. */
  async alarmsOf(messageKey: string): Promise<AlarmRecord[]> {
    const doc = await this.state.message(messageKey);
    const records = await Promise.all((doc?.alarmIds ?? []).map((id) => this.state.record(id)));
    return records.filter((r): r is AlarmRecord => r !== null);
  }

  /** Every alarm the store knows (any replica may have ingested it): the status page's firing list. */
  async stored(): Promise<AlarmRecord[]> {
    return (await this.state.all()).records;
  }

  /** Waits for every store write queued so far. */
  private async flushWrites(): Promise<void> {
    await this.writes.idle();
  }

  /** Runs writes for one key one after another, so a slow write never lands after a newer one. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.writes.run(key, fn);
  }
}
