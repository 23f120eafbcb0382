import type { ApprovalRequest, Refusal } from '../../domain/approval.js';
import { escapeMrkdwn as esc } from '../../domain/mrkdwn.js';
import type { RequestOutcome } from '../../services/approvals/approval-service.js';
import { cautionLines, describeAsk, mention } from './approval-view.js';

/*
 * The ephemeral replies to the person who acted on an approval: why a decision or request was refused (the
 * domain's and the service's refusals, worded here), and what their request or cancel did.
 */

type WrongState = Extract<Refusal, { code: 'wrong-state' }>;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Why a request that is no longer pending cannot be acted on: its state, and who put it there. */
function stateText(r: WrongState): string {
  switch (r.state) {
    case 'pending':
      return 'is waiting for approval';
    case 'approved':
    case 'executing':
      return `was already approved by ${mention(r.approver)} and is running`;
    case 'succeeded':
      return `was approved by ${mention(r.approver)} and has already run`;
    case 'failed':
      return r.approver
        ? `was approved by ${mention(r.approver)} and has already run (it failed)`
        : 'has already failed';
    case 'denied':
      return `was denied by ${mention(r.closedBy)}`;
    case 'expired':
      return 'has expired; ask again with a new request';
    case 'cancelled':
      return `was cancelled by ${mention(r.closedBy)}`;
  }
}

/**
 * A refused decision in words, for the person who tried it. Ids and sites are escaped: a button's value is
 * whatever the click carried.
 */
export function refusalText(r: Refusal): string {
  switch (r.code) {
    case 'wrong-state':
      return `Request ${esc(r.id)} ${stateText(r)}${r.event === 'cancel' ? '; only pending requests can be cancelled' : ''}.`;
    case 'expired':
      return `Request ${esc(r.id)} expired at ${iso(r.expiresAt)}; ask again with a new request.`;
    case 'not-due':
      return `Request ${esc(r.id)} expires only at ${iso(r.expiresAt)}.`;
    case 'own-request':
      return r.event === 'approve'
        ? `You asked for ${esc(r.id)}; a second person must approve it (two-person rule).`
        : `You asked for ${esc(r.id)}; to withdraw it use \`/vpn cancel ${esc(r.id)}\`.`;
    case 'not-approver':
      return r.event === 'approve'
        ? `You are not an approver for site ${esc(r.site)}; ask one of its approvers.`
        : `You are not an approver for site ${esc(r.site)}; only approvers may deny.`;
    case 'not-requester':
      return `Only ${mention(r.requester)}, who asked for ${esc(r.id)}, may cancel it.`;
    case 'controller-proposal':
      return `${esc(r.id)} was proposed by the controller; only an approver of site ${esc(r.site)} may cancel it.`;
    case 'not-found':
      return `No request ${esc(r.id)}.`;
    case 'contended':
      return `Request ${esc(r.id)} is changing too fast; try again.`;
  }
}

/** The ephemeral reply to a refused decision (approve, deny, cancel). */
export const refusalReply = (r: Refusal): string => `:no_entry_sign: ${refusalText(r)}`;

/**
 * A refused request (`/vpn failover`, a Fail over button): the service's reason is plain text that can quote
 * outside input (a site name from a click, an AWS error), so it is escaped like any other.
 */
export const requestRefusalReply = (reason: string, mark = ':no_entry_sign:'): string =>
  `${mark} ${esc(reason)}`;

/**
 * What the channel post warns about, the requester is told too: an unhealthy failover target (an approval
 * then runs it only if the target has recovered; otherwise the executor refuses and nothing moves), or a
 * forced redeploy of the active tunnel.
 */
function warnings(r: ApprovalRequest): string {
  const lines = cautionLines(r);
  if (lines.length === 0) return '';
  const unhealthy = (r.cautions ?? []).some((c) => c.kind === 'target-unhealthy');
  const consequence = unhealthy
    ? `\nIf ${r.to} is still unhealthy when someone approves, the failover is refused and nothing changes.`
    : '';
  return `\n${lines.join('\n')}${consequence}`;
}

/** The reply to `/vpn failover|redeploy|rotate`: asked (and where), already open, or refused. */
export function requestReply(outcome: RequestOutcome, channel: string | undefined): string {
  if (!outcome.ok) return requestRefusalReply(outcome.reason);
  const r = outcome.request;
  if (!outcome.created) {
    return `There is already an open ${r.action} request for ${r.site}: \`${r.id}\` (${mention(r.requester)} asked to ${describeAsk(r)}; ${r.state}). Approve or deny that one${r.message ? ` in <#${r.message.channel}>` : ''}, or withdraw it with \`/vpn cancel ${r.id}\` if it is yours.`;
  }
  return `Asked for approval: \`${r.id}\`, ${describeAsk(r)}. Posted in <#${channel ?? r.message?.channel ?? '?'}>; an approver other than you must approve it by <!date^${Math.floor(r.expiresAt / 1000)}^{time}|${new Date(r.expiresAt).toISOString()}>. Withdraw with \`/vpn cancel ${r.id}\`.${warnings(r)}`;
}

export const cancelReply = (r: ApprovalRequest): string =>
  `Cancelled \`${r.id}\` (${describeAsk(r)}). Nothing was changed.`;

/** `/vpn history|pending <site>` for a site that is not in tunnels.yml (names checked by the parser). */
export const unknownSiteReply = (site: string, known: readonly string[]): string =>
  `:warning: Unknown site "${esc(site)}". Sites: ${known.join(', ')}.`;
