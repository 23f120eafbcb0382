import type { Refusal } from '../../domain/approval.js';
import { escapeMrkdwn as esc } from '../../domain/mrkdwn.js';
import { mention } from './approval-view.js';

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
