import type { AppContext } from '../app/context.js';
import { BadRequestError } from '../domain/errors.js';
import { requireSite } from '../domain/topology.js';
import { auditPaging, encodeAuditCursor } from '../http/audit-paging.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { sendJson } from '../http/server.js';
import { registerApprovalActions } from '../slack/actions/approval-actions.js';
import { approvalCommands } from '../slack/commands/approval-commands.js';
import { registerRequestApi } from './request-api.js';

/** How often pending requests are checked for expiry and abandoned runs for reconciliation. */
const SWEEP_MS = 5_000;
const SITE_PARAM = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Failover, redeploy and rotation behind two-person approval: `/vpn failover|redeploy|rotate|history|cancel`,
 * the Approve/Deny interactions, GET /api/request, GET /api/audit and the expiry sweep.
 */
export async function registerApprovals(ctx: AppContext): Promise<void> {
  const log = ctx.log.child({ feature: 'approvals' });
  const { approvals } = ctx.services;
  Object.assign(ctx.commands, approvalCommands({ approvals, store: ctx.store, topology: ctx.topology }));
  registerApprovalActions(ctx.bolt, approvals, log);
  registerRequestApi(ctx, approvals);

  ctx.http.route(
    'GET',
    '/api/audit',
    async (req, res) => {
      const site = req.query.get('site') ?? undefined;
      if (site !== undefined && !SITE_PARAM.test(site))
        throw new BadRequestError('site must be a site name such as dc1');
      if (site !== undefined) requireSite(ctx.topology, site);
      // Paged (newest page first, each page oldest first): one call never reads the whole log.
      const page = await ctx.store.pageAudit({ ...auditPaging(req.query), ...(site ? { site } : {}) });
      const entries = [...page.entries].reverse();
      sendJson(res, 200, {
        next: encodeAuditCursor(page.next),
        entries: entries.map((e) => ({
          at: e.at,
          site: e.site,
          action: e.action,
          requestId: e.requestId ?? null,
          actor: e.actor,
          event: e.event,
          ...(e.detail ? { detail: e.detail } : {}),
        })),
      });
    },
    { auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN) },
  );

  // Resume: pending requests live in the store and stay approvable; expire what ran out while we were down
  // and close runs whose process died (lease over) from what the route tables show.
  await approvals.expireDue().catch((err) => log.error({ err }, 'approval sweep failed at start'));
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    approvals
      .expireDue()
      .catch((err) => log.error({ err }, 'approval sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, SWEEP_MS);
  timer.unref();
  ctx.onStop(() => clearInterval(timer));
}
