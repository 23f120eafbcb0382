import type { AlarmState } from './alarm-event.js';
import type { AlarmMessageDoc, AlarmRecord } from './alarm-record.js';
import type { ApprovalRequest } from './approval.js';

/**
 * What the services want shown, as plain data. Each transport renders it its own way (Slack Block Kit in
 * src/slack/views, the status page in src/page, the CLI, JSON), so a new rendering touches no service.
 */

/** A failover/redeploy request with who may approve it and the progress of its execution. */
export interface ApprovalView {
  request: ApprovalRequest;
  approverUsers: readonly string[];
  approverGroups: readonly string[];
  /** Progress lines of a running execution, oldest first. */
  progress: readonly string[];
}

/** One alarm's message (record undefined once the alarm moved to a group message), or a site/storm group. */
export type AlarmView =
  | { kind: 'alarm'; doc: AlarmMessageDoc; record: AlarmRecord | undefined; movedTo: string }
  | { kind: 'group'; doc: AlarmMessageDoc; records: AlarmRecord[] };

/** A state change of one alarm, told in its message's thread. */
export interface AlarmChangeView {
  record: AlarmRecord;
  from: AlarmState | undefined;
}

/** A failover's result as a controller reports it. */
export type FailoverNoticeResult =
  | { ok: true; from: string | null; to: string; changed: number; durationMs: number }
  | { ok: false; refused: boolean; reason: string; changed: number; rolledBack: number; durationMs: number };

/** What a failover controller tells people about one site: a failover it ran (or tried), or an alert. */
export type ControllerNotice =
  | { kind: 'failover'; to: string; reason: string; result: FailoverNoticeResult }
  | { kind: 'alert'; code: string; reason: string; extra?: string };

export interface SiteNoticeView {
  site: string;
  notice: ControllerNotice;
}

/**
 * One correlated event: the notices of sites whose failed tunnel sits in one AZ (or region, when unknown),
 * reported within a few minutes of each other. Shown as one message updated in place, its detail in a thread.
 */
export interface FleetEventView {
  region: string;
  az: string | null;
  startedAt: string;
  notices: Array<SiteNoticeView & { at: string }>;
}
