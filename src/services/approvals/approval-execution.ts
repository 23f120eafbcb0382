import type { Site } from '../../config/topology-schema.js';
import type { ApprovalAction, ApprovalRequest, ApprovalResult } from '../../domain/approval.js';
import { reasonOf } from '../../domain/outcome.js';
import { routeSlots } from '../../domain/route-plan.js';
import { type Logger, logFailure } from '../../log.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { FailoverExecutor } from '../failover/failover-executor.js';
import type { RedeployExecutor } from '../redeploy/redeploy-executor.js';
import type { RotationExecutor } from '../rotation/rotation-executor.js';

/** How long a request may stay "executing" before another process treats its run as abandoned. */
export const EXECUTION_LEASE_MS: ExecutionLeases = {
  failover: 5 * 60_000,
  redeploy: 20 * 60_000,
  // Two redeploys, two waits for health and a failover.
  rotate: 60 * 60_000,
};
export type ExecutionLeases = Readonly<Record<ApprovalAction, number>>;

type RunDeps = {
  failover: FailoverExecutor;
  redeploy: RedeployExecutor;
  rotation?: RotationExecutor;
  log: Logger;
};
type Progress = (line: string) => Promise<void>;

/**
 * Runs an approved request through the shared executors (which take the site lock, audit every step and
 * roll back on failure) and turns their result into the request's result.
 */
export async function runApproved(
  r: ApprovalRequest,
  site: Site,
  deps: RunDeps,
  onProgress: Progress,
): Promise<ApprovalResult> {
  // The approver pulls the trigger; the requester is on record in the request and its audit entries.
  const actor = r.approver ?? r.requester;
  try {
    if (r.action === 'failover') return await runFailover(r, site, deps.failover, actor, onProgress);
    if (r.action === 'rotate') return await runRotation(r, site, deps.rotation, actor, onProgress);
    return await runRedeploy(r, site, deps.redeploy, actor, onProgress);
  } catch (err) {
    const errorId = logFailure(deps.log, err, 'executor threw', { requestId: r.id });
    return {
      ok: false,
      summary: `The run stopped on an unexpected error; check \`/vpn status ${r.site}\` for where the routes are. (error ${errorId} in the bot's log)`,
    };
  }
}

/** A run that did not succeed: refused (nothing changed) or failed part way (what it says it left). */
function unsuccessful(
  res: { refused?: boolean; reason: string; durationMs?: number },
  failed: string = res.reason,
): ApprovalResult {
  return {
    ok: false,
    summary: res.refused ? `Refused, nothing changed: ${res.reason}` : failed,
    ...(res.durationMs === undefined ? {} : { durationMs: res.durationMs }),
    detail: { ...res },
  };
}

async function runFailover(
  r: ApprovalRequest,
  site: Site,
  failover: FailoverExecutor,
  actor: string,
  onProgress: Progress,
): Promise<ApprovalResult> {
  const res = await failover.execute({
    site,
    to: r.to ?? '',
    actor,
    requestId: r.id,
    ...(r.reason ? { reason: r.reason } : {}),
    trigger: 'approved',
    onProgress,
  });
  if (!res.ok)
    return unsuccessful(
      res,
      `${res.reason}. Changed ${res.changed} route(s), rolled back ${res.rolledBack}.`,
    );
  return {
    ok: true,
    summary: `${res.changed} route(s) moved from ${res.from ?? 'nowhere'} to ${res.to}.`,
    durationMs: res.durationMs,
    detail: { ...res },
  };
}

async function runRedeploy(
  r: ApprovalRequest,
  site: Site,
  redeploy: RedeployExecutor,
  actor: string,
  onProgress: Progress,
): Promise<ApprovalResult> {
  const res = await redeploy.execute({
    site,
    tunnel: r.tunnel ?? '',
    actor,
    requestId: r.id,
    force: r.force ?? false,
    onProgress,
  });
  if (!res.ok) return unsuccessful(res);
  return {
    ok: true,
    summary: `Deployment ${res.deploymentId} completed.`,
    durationMs: res.durationMs,
    detail: { ...res },
  };
}

async function runRotation(
  r: ApprovalRequest,
  site: Site,
  rotation: RotationExecutor | undefined,
  actor: string,
  onProgress: Progress,
): Promise<ApprovalResult> {
  if (!rotation) return { ok: false, summary: 'Refused, nothing changed: rotation is not enabled here.' };
  const res = await rotation.execute({ site, actor, requestId: r.id, onProgress });
  if (!res.ok) return unsuccessful(res);
  const one = res.rotated.length === 1;
  return {
    ok: true,
    summary: `${res.rotated.join(' and ')} now run${one ? 's' : ''} the published certificate${one ? '' : 's'}. ${clientNote(site.name)}`,
    durationMs: res.durationMs,
    detail: { ...res },
  };
}

/** The on-prem side: its client certificates are renewed and installed by the operator (the bot holds no key). */
export const clientNote = (site: string): string =>
  `Client certificates: \`npm run pki -- renew ${site} --role client\`, then \`npm run pki -- bundle ${site} --out <dir>\` and install each tunnel's bundle on its on-prem host (docs/on-prem.md); the old client certificate stays accepted until it expires or is revoked.`;

/**
 * The result of a run whose process died: the route tables say what actually happened.
 * A redeploy cannot be judged from the routes, so it is reported as interrupted.
 */
export async function reconcileAbandoned(
  r: ApprovalRequest,
  site: Site,
  routeTables: RouteTables,
): Promise<ApprovalResult> {
  const note = 'The run was interrupted (its process stopped before finishing).';
  if (r.action === 'rotate')
    return {
      ok: false,
      summary: `${note} A server may still be restarting; check \`/vpn status ${r.site}\`, then \`/vpn rotate ${r.site}\` again does what is left.`,
    };
  if (r.action !== 'failover' || !r.to) {
    return {
      ok: false,
      summary: `${note} The ECS deployment may still be rolling; check \`/vpn status ${r.site}\`.`,
    };
  }
  try {
    const outcome = (await routeTables.observe([site])).get(site.name);
    if (!outcome?.ok)
      return {
        ok: false,
        summary: `${note} The route tables cannot be read: ${outcome?.reason ?? 'no answer'}.`,
      };
    const slots = routeSlots(site, outcome.value);
    const onTarget = slots.filter((s) => s.tunnel === r.to).length;
    if (onTarget === slots.length)
      return { ok: true, summary: `${note} The route tables show all ${onTarget} route(s) on ${r.to}.` };
    return {
      ok: false,
      summary: `${note} The route tables show ${onTarget}/${slots.length} route(s) on ${r.to}; check \`/vpn status ${r.site}\`.`,
    };
  } catch (err) {
    return { ok: false, summary: `${note} The route tables cannot be read: ${reasonOf(err)}.` };
  }
}
