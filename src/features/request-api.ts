import type { AppContext } from '../app/context.js';
import { BadRequestError, TunnelOpsError } from '../domain/errors.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { sendJson } from '../http/server.js';
import type { ApprovalService } from '../services/approvals/approval-service.js';

const REQUEST_ID = /^[a-z]{2}-[a-z0-9]{4,32}$/;

/**
 * GET /api/request?id=fo-...: one approval request as stored (state, who decided, the result), so the CLI can
 * wait for the outcome of a click and print it.
 */
export function registerRequestApi(ctx: AppContext, approvals: ApprovalService): void {
  ctx.http.route(
    'GET',
    '/api/request',
    async (req, res) => {
      const id = req.query.get('id') ?? '';
      if (!REQUEST_ID.test(id)) throw new BadRequestError('id must be a request id such as fo-7k2m9q');
      const r = await approvals.get(id);
      if (!r) throw new TunnelOpsError('not_found', `no request ${id}`);
      sendJson(res, 200, {
        id: r.id,
        action: r.action,
        site: r.site,
        state: r.state,
        requester: r.requester,
        ...(r.to ? { to: r.to } : {}),
        ...(r.tunnel ? { tunnel: r.tunnel } : {}),
        ...(r.approver ? { approver: r.approver } : {}),
        ...(r.closedBy ? { closedBy: r.closedBy } : {}),
        ...(r.denyReason ? { denyReason: r.denyReason } : {}),
        ...(r.result ? { result: r.result } : {}),
        expiresAt: new Date(r.expiresAt).toISOString(),
      });
    },
    { auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN) },
  );
}
