import type { AlarmMessageDoc, AlarmRecord } from '../../domain/alarm-record.js';
import type { Store } from '../../ports/store.js';

export const NS_ALARM = 'alarm-state';
export const NS_MESSAGE = 'alarm-msg';
/** Alarms and messages untouched this long are forgotten; a later change starts a new message. */
export const RETAIN_MS = 30 * 24 * 60 * 60 * 1000;
/** Concurrent writers of one alarm are other replicas ingesting its next change: a few rounds settle it. */
const MAX_ATTEMPTS = 20;

/** What the store holds for one channel: its alarms and the Slack messages that show them. */
export interface ChannelState {
  records: AlarmRecord[];
  docs: AlarmMessageDoc[];
}

/**
 * Alarm records and message docs in the shared store. Several bot replicas ingest alarms, so a record is
 * only ever changed by compare-and-set on what the store holds (never from a replica's possibly stale copy),
 * and the publisher reads a channel's state back before each round (see AlarmPublisher's channel lease).
 */
export class AlarmStateStore {
  constructor(private readonly store: Store) {}

  async record(id: string): Promise<AlarmRecord | null> {
    return (await this.store.get<AlarmRecord>(NS_ALARM, id))?.value ?? null;
  }

  /**
   * Decides on the stored record and writes `next` only if nobody wrote the record meanwhile; on a
   * concurrent write it decides again on the newer record. `next: null` writes nothing.
   */
  async change<T>(
    id: string,
    decide: (known: AlarmRecord | null) => { next: AlarmRecord | null; out: T },
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const rec = await this.store.get<AlarmRecord>(NS_ALARM, id);
      const { next, out } = decide(rec?.value ?? null);
      if (!next) return out;
      const written = rec
        ? await this.store.compareAndSet(NS_ALARM, id, rec.version, next, RETAIN_MS)
        : await this.store.create(NS_ALARM, id, next, RETAIN_MS);
      if (written) return out;
    }
    throw new Error(`alarm ${id} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }

  async message(key: string): Promise<AlarmMessageDoc | null> {
    return (await this.store.get<AlarmMessageDoc>(NS_MESSAGE, key))?.value ?? null;
  }

  async saveMessage(doc: AlarmMessageDoc): Promise<void> {
    await this.store.put(NS_MESSAGE, doc.key, doc, RETAIN_MS);
  }

  async all(): Promise<ChannelState> {
    const [records, docs] = await Promise.all([
      this.store.list<AlarmRecord>(NS_ALARM),
      this.store.list<AlarmMessageDoc>(NS_MESSAGE),
    ]);
    return { records: records.map((r) => r.value), docs: docs.map((d) => d.value) };
  }

  async channel(channel: string): Promise<ChannelState> {
    const { records, docs } = await this.all();
    return {
      records: records.filter((r) => r.channel === channel),
      docs: docs.filter((d) => d.channel === channel),
    };
  }
}
