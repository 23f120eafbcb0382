import type { ApprovalEvent, ApprovalRequest } from '../../../src/domain/approval.js';

export const T0 = Date.parse('2026-01-01T10:00:00Z');

/** A pending failover request for dc1 made at T0 (15-minute expiry); override what a test needs. */
export const pendingRequest = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  id: 'fo-7k2m9q',
  action: 'failover',
  site: 'dc1',
  requester: 'UREQ',
  to: 'secondary',
  state: 'pending',
  createdAt: T0,
  expiresAt: T0 + 15 * 60_000,
  ...over,
});

/** `user` approves at `now` (a second after T0 unless told). */
export const approveEvent = (user: string, isApprover = true, now = T0 + 1000): ApprovalEvent => ({
  kind: 'approve',
  user,
  isApprover,
  now,
});
