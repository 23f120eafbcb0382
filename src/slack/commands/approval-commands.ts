import type { Topology } from '../../config/topology-schema.js';
import type { ApprovalRequest } from '../../domain/approval.js';
import { findSite } from '../../domain/topology.js';
import type { Store } from '../../ports/store.js';
import type { ApprovalService, RequestOutcome } from '../../services/approvals/approval-service.js';
import { refusalReply, requestRefusalReply } from '../views/approval-refusal-view.js';
import { cautionLines, describeAsk, mention } from '../views/approval-view.js';
import { historyMessage } from '../views/history-view.js';
import { pendingText } from '../views/pending-view.js';
import type { CommandHandlers } from './vpn-command.js';

const HISTORY_ENTRIES = 25;

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

function requestReply(outcome: RequestOutcome, channel: string | undefined): string {
  if (!outcome.ok) return requestRefusalReply(outcome.reason);
  const r = outcome.request;
  if (!outcome.created) {
    return `There is already an open ${r.action} request for ${r.site}: \`${r.id}\` (${mention(r.requester)} asked to ${describeAsk(r)}; ${r.state}). Approve or deny that one${r.message ? ` in <#${r.message.channel}>` : ''}, or withdraw it with \`/vpn cancel ${r.id}\` if it is yours.`;
  }
  return `Asked for approval: \`${r.id}\`, ${describeAsk(r)}. Posted in <#${channel ?? r.message?.channel ?? '?'}>; an approver other than you must approve it by <!date^${Math.floor(r.expiresAt / 1000)}^{time}|${new Date(r.expiresAt).toISOString()}>. Withdraw with \`/vpn cancel ${r.id}\`.${warnings(r)}`;
}

const cancelReply = (r: ApprovalRequest): string =>
  `Cancelled \`${r.id}\` (${describeAsk(r)}). Nothing was changed.`;

/** `/vpn failover`, `/vpn redeploy`, `/vpn rotate`, `/vpn history`, `/vpn pending`, `/vpn cancel`: all replies are ephemeral. */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function approvalCommands(deps: {
  approvals: ApprovalService;
  store: Store;
  topology: Topology;
}): CommandHandlers {
  const { approvals, store, topology } = deps;
  const unknownSite = (name: string): string =>
    `:warning: Unknown site "${name}". Sites: ${topology.sites.map((s) => s.name).join(', ')}.`;
  return {
    failover: async (cmd, ctx) => {
      const outcome = await approvals.request({
        action: 'failover',
        site: cmd.site,
        requester: ctx.userId,
        ...(cmd.to ? { to: cmd.to } : {}),
        ...(cmd.reason ? { reason: cmd.reason } : {}),
      });
      await ctx.respond({
        response_type: 'ephemeral',
        text: requestReply(outcome, findSite(topology, cmd.site)?.slackChannel),
      });
    },
    redeploy: async (cmd, ctx) => {
      const outcome = await approvals.request({
        action: 'redeploy',
        site: cmd.site,
        requester: ctx.userId,
        tunnel: cmd.tunnel,
        force: cmd.force,
        ...(cmd.reason ? { reason: cmd.reason } : {}),
      });
      await ctx.respond({
        response_type: 'ephemeral',
        text: requestReply(outcome, findSite(topology, cmd.site)?.slackChannel),
      });
    },
    rotate: async (cmd, ctx) => {
      const outcome = await approvals.request({
        action: 'rotate',
        site: cmd.site,
        requester: ctx.userId,
        ...(cmd.reason ? { reason: cmd.reason } : {}),
      });
      await ctx.respond({
        response_type: 'ephemeral',
        text: requestReply(outcome, findSite(topology, cmd.site)?.slackChannel),
      });
    },
    history: async (cmd, ctx) => {
      if (cmd.site && !findSite(topology, cmd.site)) {
        await ctx.respond({ response_type: 'ephemeral', text: unknownSite(cmd.site) });
        return;
      }
      const entries = await store.listAudit({
        ...(cmd.site ? { site: cmd.site } : {}),
        limit: HISTORY_ENTRIES,
      });
      await ctx.respond(historyMessage(entries, cmd.site) as never);
    },
    pending: async (cmd, ctx) => {
      if (cmd.site && !findSite(topology, cmd.site)) {
        await ctx.respond({ response_type: 'ephemeral', text: unknownSite(cmd.site) });
        return;
      }
      const list = await approvals.pending(cmd.site);
      await ctx.respond({ response_type: 'ephemeral', text: pendingText(list, cmd.site) });
    },
    cancel: async (cmd, ctx) => {
      const outcome = await approvals.cancel(cmd.requestId, ctx.userId);
      await ctx.respond({
        response_type: 'ephemeral',
        text: outcome.ok ? cancelReply(outcome.request) : refusalReply(outcome.refusal),
      });
    },
  };
}
