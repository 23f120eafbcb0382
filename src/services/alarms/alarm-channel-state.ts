import type { AlarmState } from '../../domain/alarm-event.js';
import type { RecentChange } from '../../domain/alarm-storm.js';

/** A thread reply or a health graph waiting for the channel's post budget. */
export type AlarmExtra = { kind: 'reply'; from: AlarmState | undefined } | { kind: 'graph' };

/** What the publisher keeps per Slack channel between rounds. */
export interface ChannelState {
  changes: RecentChange[];
  nextPostAt: number;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  running: boolean;
  lastRoundAt: number;
  /** The pending timer only closes finished bursts (nothing left to show). */
  closeOnly: boolean;
  /** Thread replies and graphs waiting for post budget, by alarm id. */
  extras: Map<string, AlarmExtra>;
}

export const newChannelState = (): ChannelState => ({
  changes: [],
  nextPostAt: 0,
  running: false,
  lastRoundAt: 0,
  closeOnly: false,
  extras: new Map(),
});
