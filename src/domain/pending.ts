import { type ApprovalRequest, isDue, isTerminal } from './approval.js';

/** An open request as every rendering shows it (Slack, the CLI, JSON). */
export interface PendingRequest {
  id: string;
  action: ApprovalRequest['action'];
  site: string;
  requester: string;
  state: ApprovalRequest['state'];
  to?: string;
  tunnel?: string;
  reason?: string;
  createdAt: string;
  expiresAt: string;
}

/** Requests still open (waiting, approved or running) and not past their expiry, oldest first. */
export function pendingRequests(
  all: readonly ApprovalRequest[],
  now: number,
  site?: string,
): PendingRequest[] {
  return all
    .filter((r) => !isTerminal(r) && !isDue(r, now) && (site === undefined || r.site === site))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((r) => ({
      id: r.id,
      action: r.action,
      site: r.site,
      requester: r.requester,
      state: r.state,
      ...(r.to ? { to: r.to } : {}),
      ...(r.tunnel ? { tunnel: r.tunnel } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
    }));
}
