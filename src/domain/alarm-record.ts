import { type AlarmEvent, type AlarmState, isNotOlder } from './alarm-event.js';
import type { AlarmTarget } from './alarm-mapping.js';
import type { HomeKind } from './alarm-storm.js';

/** What tunnelops knows about one alarm (persisted in the store, namespace "alarm-state"). */
export interface AlarmRecord extends AlarmEvent {
  site: string | null;
  tunnel?: string;
  channel: string;
  /** Grows on every change Slack must show (state, reason, acknowledgement). */
  rev: number;
  /** Epoch ms when the last state change was applied here: the storm window counts these. */
  changedAt: number;
  ack?: { by: string; at: string };
  /** Key of the one Slack message that shows this alarm. */
  home?: string;
  /** The rev and state that message shows. */
  shownRev?: number;
  shownState?: AlarmState;
}

/** A Slack message showing alarms (namespace "alarm-msg"): one alarm, one site's burst, or a storm summary. */
export interface AlarmMessageDoc {
  key: string;
  kind: HomeKind;
  channel: string;
  site?: string;
  ref?: { channel: string; ts: string };
  alarmIds: string[];
  /** A site/storm message stays open while its burst lasts. */
  open: boolean;
  /** Alarms that moved to a newer message (said so in this one). */
  movedOut: number;
  /** Rev and state of each alarm as the message last showed them (one write per message, not per alarm). */
  shown?: Record<string, [number, AlarmState]>;
  /** A digest of what Slack shows in this message, so no replica sends an update that changes nothing. */
  rendered?: string;
  createdAt: number;
}

export type ApplyResult = { kind: 'applied'; record: AlarmRecord; stateChanged: boolean } | { kind: 'older' };

/** Applies an event to what is known; a delivery older than the known change is ignored (SNS does not order). */
export function applyAlarmEvent(
  known: AlarmRecord | null,
  event: AlarmEvent,
  target: AlarmTarget | null,
  channel: string,
  now: number,
): ApplyResult {
  if (known && !isNotOlder(event, known)) return { kind: 'older' };
  const stateChanged = !known || known.state !== event.state;
  const record: AlarmRecord = {
    ...event,
    site: target?.site ?? null,
    ...(target?.tunnel ? { tunnel: target.tunnel } : {}),
    channel,
    rev: (known?.rev ?? 0) + 1,
    changedAt: stateChanged ? now : (known?.changedAt ?? now),
    // An acknowledgement belongs to one incident: a new state needs a new one.
    ...(known?.ack && !stateChanged ? { ack: known.ack } : {}),
    ...(known?.home ? { home: known.home } : {}),
    ...(known?.shownRev !== undefined ? { shownRev: known.shownRev } : {}),
    ...(known?.shownState ? { shownState: known.shownState } : {}),
  };
  if (!event.previousState && known) record.previousState = known.state;
  return { kind: 'applied', record, stateChanged };
}
