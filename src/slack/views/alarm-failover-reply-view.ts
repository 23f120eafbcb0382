import { escapeMrkdwn as esc } from '../../domain/mrkdwn.js';
import type { RequestOutcome } from '../../services/approvals/approval-service.js';
import { requestRefusalReply } from './approval-reply-view.js';

/**
 * The clicker's ephemeral reply to an alarm's Fail over button: refused (the service's reason, escaped), a
 * request already open for the site, or asked. Shorter than `/vpn failover`'s reply: the alarm message above
 * it already names the site and the approval request is posted in the same channel.
 */
export function alarmFailoverReply(outcome: RequestOutcome): string {
  if (!outcome.ok) return requestRefusalReply(outcome.reason, ':warning:');
  const site = `*${esc(outcome.request.site)}*`;
  return outcome.created
    ? `Failover of ${site} requested; it waits for a second person to approve.`
    : `A failover request for ${site} is already open.`;
}
