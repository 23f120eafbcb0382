import { createHash } from 'node:crypto';
import type { AlarmState } from '../../domain/alarm-event.js';
import type { AlarmMessageDoc, AlarmRecord } from '../../domain/alarm-record.js';
import type { Logger } from '../../log.js';
import type { Chat, ChatMessage } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { ChannelState } from './alarm-channel-state.js';
import type { ShownWaiters } from './alarm-waiters.js';

export interface AlarmMessageWriterProps {
  chat: Chat;
  clock: Clock;
  log: Logger;
  records: ReadonlyMap<string, AlarmRecord>;
  messages: ReadonlyMap<string, AlarmMessageDoc>;
  waiters: ShownWaiters;
  saveMessage(doc: AlarmMessageDoc): Promise<void>;
  uploadGraph?: (channel: string, threadTs: string, site: string) => Promise<void>;
  /** Gap between chat.postMessage calls in one channel. */
  postIntervalMs: number;
}

type ShownRevs = ReadonlyArray<readonly [AlarmRecord, number, AlarmState]>;

/**
 * The Slack calls of the alarm publisher: posts and updates alarm messages, posts thread replies and graphs,
 * and records in each message doc which revision of each alarm Slack now shows (waking whoever waits for it).
 * Each call returns false when Slack failed, so the round is retried.
 */
export class AlarmMessageWriter {
  constructor(private readonly props: AlarmMessageWriterProps) {}

  async post(doc: AlarmMessageDoc, cs: ChannelState): Promise<boolean> {
    const { message, shown } = this.render(doc);
    const revs = revsOf(shown);
    try {
      doc.ref = await this.props.chat.post(doc.channel, message);
      doc.rendered = digest(message);
    } catch (err) {
      this.fail(doc, shown, err);
      return false;
    } finally {
      // A failed post spent the channel's budget too (Slack may have counted it).
      cs.nextPostAt = this.props.clock.now() + this.props.postIntervalMs;
    }
    await this.markShown(doc, revs);
    const first = shown[0];
    if (doc.kind === 'alarm' && first?.state === 'ALARM' && first.site && this.props.uploadGraph)
      cs.extras.set(first.id, { kind: 'graph' });
    return true;
  }

  async update(doc: AlarmMessageDoc): Promise<boolean> {
    if (!doc.ref) return true;
    const { message, shown } = this.render(doc);
    const revs = revsOf(shown);
    const rendered = digest(message);
    if (doc.rendered === rendered) {
      await this.markShown(doc, revs);
      return true;
    }
    try {
      await this.props.chat.update(doc.ref, message);
      doc.rendered = rendered;
    } catch (err) {
      // The message is gone (deleted in Slack): post a new one next round.
      if (String((err as { data?: { error?: string } }).data?.error) === 'message_not_found') {
        doc.ref = undefined;
        await this.props.saveMessage(doc);
      }
      this.fail(doc, shown, err);
      return false;
    }
    await this.markShown(doc, revs);
    return true;
  }

  /** The next thread reply or graph of the channel, if its alarm's message is still where it was posted. */
  async postExtra(channel: string, cs: ChannelState): Promise<boolean> {
    const [id, extra] = cs.extras.entries().next().value ?? [];
    if (!id || !extra) return true;
    cs.extras.delete(id);
    const r = this.props.records.get(id);
    const home = r?.home ? this.props.messages.get(r.home) : undefined;
    if (!r || !home?.ref || home.kind !== 'alarm') return true;
    cs.nextPostAt = this.props.clock.now() + this.props.postIntervalMs;
    try {
      if (extra.kind === 'reply') {
        await this.props.chat.post(channel, {
          ...this.props.chat.render.alarmChange({ record: r, from: extra.from }),
          threadTs: home.ref.ts,
        });
      } else if (r.site && this.props.uploadGraph) {
        await this.props.uploadGraph(channel, home.ref.ts, r.site);
      }
    } catch (err) {
      // Replies and graphs are extras: log and move on, the message itself shows the state.
      this.props.log.warn({ err, alarm: r.name }, 'could not post alarm thread reply');
    }
    return true;
  }

  private render(doc: AlarmMessageDoc): { message: ChatMessage; shown: AlarmRecord[] } {
    const shown = doc.alarmIds
      .map((id) => this.props.records.get(id))
      .filter((r): r is AlarmRecord => r !== undefined);
    const { render } = this.props.chat;
    if (doc.kind === 'alarm')
      return {
        message: render.alarm({ kind: 'alarm', doc, record: shown[0], movedTo: 'a newer message' }),
        shown,
      };
    return { message: render.alarm({ kind: 'group', doc, records: shown }), shown };
  }

  /** Slack now shows these revs: remember it (in the message doc, one write) and wake whoever waits. */
  private async markShown(doc: AlarmMessageDoc, revs: ShownRevs): Promise<void> {
    doc.shown = Object.fromEntries(revs.map(([r, rev, state]) => [r.id, [rev, state]]));
    await this.props.saveMessage(doc);
    for (const [r, rev, state] of revs) {
      if ((r.shownRev ?? 0) >= rev) continue;
      r.shownRev = rev;
      r.shownState = state;
      this.props.waiters.shown(r.id, rev);
    }
  }

  private fail(doc: AlarmMessageDoc, shown: AlarmRecord[], err: unknown): void {
    this.props.log.warn({ err, message: doc.key }, 'Slack call for alarms failed; will retry');
    const error = err instanceof Error ? err : new Error(String(err));
    for (const r of shown) this.props.waiters.fail(r.id, error);
  }
}

/** Each shown alarm's revision and state as rendered (the record may change while Slack is called). */
const revsOf = (shown: AlarmRecord[]): ShownRevs => shown.map((r) => [r, r.rev, r.state] as const);

/** What a message shows, in a few bytes (kept in its doc). */
function digest(message: ChatMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 22);
}
