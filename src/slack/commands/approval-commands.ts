import type { Topology } from '../../config/topology-schema.js';
import { findSite } from '../../domain/topology.js';
import type { Store } from '../../ports/store.js';
import type { ApprovalService, RequestInput } from '../../services/approvals/approval-service.js';
import { cancelReply, refusalReply, requestReply, unknownSiteReply } from '../views/approval-reply-view.js';
import { historyMessage } from '../views/history-view.js';
import { pendingText } from '../views/pending-view.js';
import type { CommandContext, CommandHandlers } from './vpn-command.js';
import { OK, refusedWith } from './vpn-reply-outcome.js';

const HISTORY_ENTRIES = 25;

interface ApprovalCommandDeps {
  approvals: ApprovalService;
  store: Store;
  topology: Topology;
}

/** `/vpn failover`, `/vpn redeploy`, `/vpn rotate`, `/vpn history`, `/vpn pending`, `/vpn cancel`: all replies are ephemeral. */
export function approvalCommands(deps: ApprovalCommandDeps): CommandHandlers {
  const { approvals } = deps;
  const ask = askFor(deps);
  const knownSite = siteCheck(deps.topology);
  return {
    failover: (cmd, ctx) =>
      ask({ action: 'failover', site: cmd.site, ...(cmd.to ? { to: cmd.to } : {}), ...withReason(cmd) }, ctx),
    redeploy: (cmd, ctx) =>
      ask(
        { action: 'redeploy', site: cmd.site, tunnel: cmd.tunnel, force: cmd.force, ...withReason(cmd) },
        ctx,
      ),
    rotate: (cmd, ctx) => ask({ action: 'rotate', site: cmd.site, ...withReason(cmd) }, ctx),
    history: async (cmd, ctx) => {
      if (!(await knownSite(cmd.site, ctx))) return;
      const entries = await deps.store.listAudit({
        ...(cmd.site ? { site: cmd.site } : {}),
        limit: HISTORY_ENTRIES,
      });
      await ctx.respond(historyMessage(entries, cmd.site) as never, OK);
    },
    pending: async (cmd, ctx) => {
      if (!(await knownSite(cmd.site, ctx))) return;
      const list = await approvals.pending(cmd.site);
      await ctx.respond({ response_type: 'ephemeral', text: pendingText(list, cmd.site) }, OK);
    },
    cancel: async (cmd, ctx) => {
      const outcome = await approvals.cancel(cmd.requestId, ctx.userId);
      await ctx.respond(
        {
          response_type: 'ephemeral',
          text: outcome.ok ? cancelReply(outcome.request) : refusalReply(outcome.refusal),
        },
        outcome.ok ? OK : refusedWith(outcome.refusal.code),
      );
    },
  };
}

const withReason = (cmd: { reason?: string }): { reason?: string } =>
  cmd.reason ? { reason: cmd.reason } : {};

/** Asks for approval in the caller's name and tells them what happened (or is already open). */
function askFor(deps: ApprovalCommandDeps) {
  return async (input: Omit<RequestInput, 'requester'>, ctx: CommandContext): Promise<void> => {
    const outcome = await deps.approvals.request({ ...input, requester: ctx.userId });
    await ctx.respond(
      {
        response_type: 'ephemeral',
        text: requestReply(outcome, findSite(deps.topology, input.site)?.slackChannel),
      },
      // A request already open is not refused: it is there to approve, and the reply says where.
      outcome.ok ? OK : refusedWith(outcome.code),
    );
  };
}

/** An optional site argument must name a site of the topology; otherwise the caller is told which exist. */
function siteCheck(topology: Topology) {
  return async (site: string | undefined, ctx: CommandContext): Promise<boolean> => {
    if (!site || findSite(topology, site)) return true;
    const names = topology.sites.map((s) => s.name);
    await ctx.respond(
      { response_type: 'ephemeral', text: unknownSiteReply(site, names) },
      refusedWith('unknown-site'),
    );
    return false;
  };
}
