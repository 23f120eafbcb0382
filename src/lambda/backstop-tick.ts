/**
 * The backstop's reconcile tick, as EventBridge Scheduler delivers it to the controller Lambda: an
 * EventBridge-shaped envelope (so one parser reads every event the controller takes) whose values the
 * scheduler fills from its context attributes at each invocation. infra/ builds the schedule's input from
 * backstopTickInput; the lab's backstop sends the same shape.
 */
export const BACKSTOP_TICK_SOURCE = 'tunnelops.scheduler';
export const BACKSTOP_TICK_DETAIL_TYPE = 'Backstop Reconcile';

export interface BackstopTickValues {
  /** The scheduler's execution id of this invocation (logged with the run, as an event id is). */
  id: string;
  /** When the schedule was due (the invocation lands within the flexible window after it). */
  scheduledTime: string;
}

export function backstopTickInput(v: BackstopTickValues) {
  return {
    source: BACKSTOP_TICK_SOURCE,
    'detail-type': BACKSTOP_TICK_DETAIL_TYPE,
    id: v.id,
    detail: { scheduledTime: v.scheduledTime },
  };
}
