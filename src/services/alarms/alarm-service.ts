import type { Topology } from '../../config/topology-schema.js';
import type { AlarmEvent } from '../../domain/alarm-event.js';
import { mapAlarm } from '../../domain/alarm-mapping.js';
import { parseAlarmMessage } from '../../domain/alarm-parse.js';
import { type AlarmMessageDoc, type AlarmRecord, applyAlarmEvent } from '../../domain/alarm-record.js';
import { findSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import type { IngestResult, NotificationSink } from '../../sns/sns-endpoint.js';
import type { SnsNotification } from '../../sns/sns-message.js';
import { AlarmPublisher, type PublisherSettings } from './alarm-publisher.js';

export const NS_SEEN = 'sns-seen';
export const NS_ALARM = 'alarm-state';
export const NS_MESSAGE = 'alarm-msg';
/** Alarms and messages untouched this long are forgotten; a later change starts a new message. */
export const RETAIN_MS = 30 * 24 * 60 * 60 * 1000;

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

/**
 * Alarms in, Slack out. `ingest` dedupes on MessageId (persisted, with a TTL), applies the change to the
 * stored alarm state (ignoring out-of-order older deliveries) and hands it to the publisher, which keeps
 * one Slack message per alarm (or per site, or one storm summary) showing the latest state.
 */
export class AlarmService implements NotificationSink {
  readonly records = new Map<string, AlarmRecord>();
  readonly publisher: AlarmPublisher;
  private readonly writes = new Map<string, Promise<unknown>>();
  private readonly dedupeTtlMs: number;
  private readonly defaultChannel: string;

  constructor(private readonly props: AlarmServiceProps) {
    this.dedupeTtlMs = props.dedupeTtlMs ?? 2 * 60 * 60 * 1000;
    this.defaultChannel = props.defaultChannel ?? props.topology.sites[0]?.slackChannel ?? '';
    this.publisher = new AlarmPublisher({
      chat: props.chat,
      clock: props.clock,
      log: props.log.child({ component: 'alarm-publisher' }),
      records: this.records,
      saveRecord: async (r) => {
        await this.serial(`a:${r.id}`, () => props.store.put(NS_ALARM, r.id, r, RETAIN_MS));
      },
      saveMessage: async (d) => {
        await this.serial(`m:${d.key}`, () => props.store.put(NS_MESSAGE, d.key, d, RETAIN_MS));
      },
      ...(props.uploadGraph ? { uploadGraph: props.uploadGraph } : {}),
      ...(props.publisher ? { settings: props.publisher } : {}),
    });
  }

  /** Loads stored alarms and message refs; anything Slack does not show yet is published again. */
  async start(): Promise<void> {
    for (const r of await this.props.store.list<AlarmRecord>(NS_ALARM)) this.records.set(r.key, r.value);
    const docs = (await this.props.store.list<AlarmMessageDoc>(NS_MESSAGE)).map((d) => d.value);
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
    if (!fresh) {
      // At-least-once delivery: already applied. For SQS, still wait until Slack shows that alarm.
      const id = parsed.kind === 'alarm' ? parsed.event.id : undefined;
      const r = id ? this.records.get(id) : undefined;
      return {
        status: 'duplicate',
        ...(id ? { alarmId: id } : {}),
        settled: r ? () => this.publisher.whenShown(r.id, r.rev) : done,
      };
    }
    if (parsed.kind === 'ignored') {
      log.info({ reason: parsed.reason }, 'notification is not an alarm tunnelops handles');
      return { status: 'ignored', reason: parsed.reason, settled: done };
    }
    const event = parsed.event;
    try {
      return await this.serial(`a:${event.id}`, async () => {
        const known =
          this.records.get(event.id) ??
          (await this.props.store.get<AlarmRecord>(NS_ALARM, event.id))?.value ??
          null;
        // The same state, time and reason again (a re-post, not an SNS retry): Slack already shows it.
        if (known && sameChange(known, event)) {
          return {
            status: 'duplicate' as const,
            reason: 'already shown',
            alarmId: event.id,
            settled: () => this.publisher.whenShown(known.id, known.rev),
          };
        }
        const target = mapAlarm(this.props.topology, event);
        const channel =
          (target && findSite(this.props.topology, target.site)?.slackChannel) ?? this.defaultChannel;
        const applied = applyAlarmEvent(known, event, target, channel, this.props.clock.now());
        if (applied.kind === 'older') {
          return {
            status: 'ignored' as const,
            reason: 'older than the state already known',
            alarmId: event.id,
            settled: done,
          };
        }
        const record = applied.record;
        await this.props.store.put(NS_ALARM, record.id, record, RETAIN_MS);
        // The in-memory copy is the one the publisher renders; keep its Slack bookkeeping.
        const current = this.records.get(record.id);
        if (current)
          Object.assign(current, {
            ...record,
            home: current.home,
            shownRev: current.shownRev,
            shownState: current.shownState,
          });
        else this.records.set(record.id, record);
        this.publisher.noteChange(this.records.get(record.id)!, applied.stateChanged);
        const rev = record.rev;
        return {
          status: 'accepted' as const,
          alarmId: record.id,
          settled: () => this.publisher.whenShown(record.id, rev),
        };
      });
    } catch (err) {
      // Not applied: forget the MessageId so SNS's (or SQS's) retry is not taken for a duplicate.
      await this.props.store.delete(NS_SEEN, messageId).catch(() => undefined);
      throw err;
    }
  }

  /** Records who acknowledged the alarms of a message; shown in it and in the audit log. */
  async acknowledge(messageKey: string, user: string): Promise<AlarmRecord[]> {
    const doc = this.publisher.messages.get(messageKey);
    if (!doc) return [];
    const at = new Date(this.props.clock.now()).toISOString();
    const acked: AlarmRecord[] = [];
    for (const id of doc.alarmIds) {
      const r = this.records.get(id);
      if (!r || r.state === 'OK' || r.ack) continue;
      r.ack = { by: user, at };
      r.rev++;
      await this.serial(`a:${r.id}`, () => this.props.store.put(NS_ALARM, r.id, r, RETAIN_MS));
      await this.props.store.appendAudit({
        at,
        site: r.site ?? '-',
        action: 'alarm',
        actor: user,
        event: 'acknowledged',
        detail: { alarm: r.name, state: r.state },
      });
      this.publisher.noteChange(r, false);
      acked.push(r);
    }
    return acked;
  }

  /** Alarms shown in a message (for the Fail over button's evidence). */
  alarmsOf(messageKey: string): AlarmRecord[] {
    const doc = this.publisher.messages.get(messageKey);
    return (doc?.alarmIds ?? [])
      .map((id) => this.records.get(id))
      .filter((r): r is AlarmRecord => r !== undefined);
  }

  /** Runs writes for one key one after another, so a slow write never lands after a newer one. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.writes.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.writes.set(key, tail);
    void tail.then(() => {
      if (this.writes.get(key) === tail) this.writes.delete(key);
    });
    return next;
  }
}
