/** An alarm or task state change, whatever transport brought it (SNS HTTPS, SQS, EventBridge via SNS). */
export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export interface AlarmMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  period?: number;
  evaluationPeriods?: number;
  threshold?: number;
  comparison?: string;
  /** Metric-math alarms: the expression the alarm watches (its inputs are the metric above). */
  expression?: { id: string; expression: string; label?: string };
}

export interface EcsTaskInfo {
  cluster: string;
  service?: string;
  taskArn?: string;
  lastStatus: string;
  stopCode?: string;
}

export interface AlarmEvent {
  /** Stable identity across transports: the alarm ARN, or `ecs:<cluster>/<service>` for ECS tasks. */
  id: string;
  name: string;
  source: 'cloudwatch' | 'ecs';
  state: AlarmState;
  previousState?: AlarmState;
  reason: string;
  /** ISO time of the change; orders deliveries that arrive out of order. */
  since: string;
  /** As given: CloudWatch's SNS payload has a display name ("US East (N. Virginia)"), EventBridge a code. */
  region?: string;
  description?: string;
  metric?: AlarmMetric;
  ecs?: EcsTaskInfo;
}

/** What parsing an alarm message gives: an event, or why the message is not one (never an exception). */
export type ParsedAlarm = { kind: 'alarm'; event: AlarmEvent } | { kind: 'ignored'; reason: string };

/** CloudWatch writes "2015-06-03T17:43:27.123+0000"; make it ISO 8601 so Date can read it everywhere. */
export function normalizeTime(value: string): string | null {
  const fixed = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** True when `next` is not older than the change already known (ties go to the later arrival). */
export function isNotOlder(next: { since: string }, known: { since: string }): boolean {
  return Date.parse(next.since) >= Date.parse(known.since);
}
