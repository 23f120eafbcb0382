import type { FailoverRun } from './audit.js';
import type { CertEntry } from './cert-expiry.js';
import type { HealthGraph } from './health-graph.js';
import type { PendingRequest } from './pending.js';
import type { StatusReport } from './status.js';

/** An alarm in ALARM, from the account (per tunnel) or from a notification the bot received. */
export interface FiringAlarm {
  name: string;
  site: string | null;
  tunnel: string | null;
  reason: string;
  since: string;
}

/**
 * Everything a NOC screen shows, as plain data: the status page renders it as HTML, GET /api/overview
 * as JSON. Built by OverviewService from the status report, the approvals, the alarms and the audit log.
 */
export interface Overview {
  generatedAt: string;
  status: StatusReport;
  /**
   * By site, up to FLEET_VIEW_SITES sites (a fleet's page draws a graph on demand); null when the probe series
   * could not be read.
   */
  graphs: Record<string, HealthGraph | null>;
  alarms: FiringAlarm[];
  pending: PendingRequest[];
  /** The most recent failover runs of every site, newest first. */
  failovers: FailoverRun[];
  /** By site: its certificate nearest to expiry as its servers last reported it; null when none reported. */
  nearestExpiry: Record<string, CertEntry | null>;
  /** Display names of the Slack users named above (requesters, actors), by id; an id without one shows as is. */
  people: Record<string, string>;
}
