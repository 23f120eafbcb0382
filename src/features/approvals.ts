import type { AppContext } from '../app/context.js';
import { BadRequestError } from '../domain/errors.js';
import { requireSite } from '../domain/topology.js';
import { auditPaging, encodeAuditCursor } from '../http/audit-paging.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { sendError } from '../http/errors.js';
import { sendJson } from '../http/server.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import { EXECUTION_LEASE_MS } from '../services/approvals/approval-execution.js';
import { ApprovalService } from '../services/approvals/approval-service.js';
import { approvedTargetCheck } from '../services/failover/approved-target-check.js';
import { FailoverExecutor, type TargetCheck } from '../services/failover/failover-executor.js';
import { RedeployExecutor } from '../services/redeploy/redeploy-executor.js';
import { RotationExecutor } from '../services/rotation/rotation-executor.js';
import { statusTargetCheck } from '../services/status/status-target-check.js';
import { registerApprovalActions } from '../slack/actions/approval-actions.js';
import { approvalCommands } from '../slack/commands/approval-commands.js';
import { registerRequestApi } from './request-api.js';

/** How often pending requests are checked for expiry and abandoned runs for reconciliation. */
const SWEEP_MS = 5_000;
const SITE_PARAM = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Failover and redeploy behind two-person approval: the executors (shared with the controller), the
 * approval service, `/vpn failover|redeploy|history|cancel`, the Approve/Deny interactions, GET /api/audit
 * and the expiry sweep. Runs after the status feature, whose health decides whether a target is fit.
 */
export async function registerApprovals(ctx: AppContext): Promise<void> {
  const log = ctx.log.child({ feature: 'approvals' });
  // Resolved per call: the status feature runs first and sets ctx.services.status.
  const checkTarget: TargetCheck = approvedTargetCheck({
    store: ctx.store,
    clock: ctx.clock,
    also: (site, tunnel) => statusTargetCheck(ctx.services.status)(site, tunnel),
  });

  const common = { store: ctx.store, routeTables: ctx.account.routeTables, clock: ctx.clock };
  const failover = new FailoverExecutor({
    ...common,
    log: log.child({ component: 'failover' }),
    checkTarget,
  });
  const redeploy = new RedeployExecutor({
    ...common,
    tasks: ctx.account.tasks,
    log: log.child({ component: 'redeploy' }),
  });
  // The sandbox's servers read a directory standing in for the certificate bucket; with AWS, see the README
  // (Certificate rotation).
  const published = (ctx.account as Partial<SandboxAccount>).serverCerts?.published;
  const rotation = published
    ? new RotationExecutor({
        ...common,
        log: log.child({ component: 'rotation' }),
        certs: published,
        failover,
        redeploy,
        checkTarget,
      })
    : undefined;
  const approvals = new ApprovalService({
    ...common,
    topology: ctx.topology,
    chat: ctx.chat,
    log,
    failover,
    redeploy,
    ...(rotation ? { rotation } : {}),
    checkTarget,
    siteStatus: async (site) => (await ctx.services.status?.report([site.name]))?.sites[0],
    executionLeases: {
      ...EXECUTION_LEASE_MS,
      ...(ctx.env.TUNNELOPS_FAILOVER_LEASE_SECONDS
        ? { failover: ctx.env.TUNNELOPS_FAILOVER_LEASE_SECONDS * 1000 }
        : {}),
    },
  });
  ctx.services.failover = failover;
  ctx.services.redeploy = redeploy;
  ctx.services.approvals = approvals;
  Object.assign(ctx.commands, approvalCommands({ approvals, store: ctx.store, topology: ctx.topology }));
  registerApprovalActions(ctx.bolt, approvals, log);
  registerRequestApi(ctx, approvals);

  ctx.http.route(
    'GET',
    '/api/audit',
    async (req, res) => {
      try {
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
      } catch (err) {
        sendError(res, err, req.id);
      }
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
