/**
 * Events the controller handles (EventBridge envelope: detail-type, source, region, detail):
 * - "Backstop Reconcile" (tunnelops.scheduler): reconcile every site (the 1-minute backstop, EventBridge
 *   Scheduler with a flexible window: src/lambda/backstop-tick.ts), or defer a site while its route reads wait
 *   long in the account's EC2 budget (the result's `deferred`: services/failover/reconcile-tick.ts).
 * - "ECS Task State Change" (aws.ecs), "Tunnel Health Changed" (tunnelops.monitor), "CloudWatch Alarm State
 *   Change" (aws.cloudwatch): evaluate the site they name.
 * - "EC2 Instance-terminate Lifecycle Action" (aws.autoscaling): a planned termination. detail:
 *   { LifecycleActionToken, AutoScalingGroupName, LifecycleHookName, EC2InstanceId,
 *     LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", NotificationMetadata?, Origin?, Destination? }.
 *   The instance is mapped to a site's tunnel (topology instanceId, else tag discovery in the event's region);
 *   if that tunnel carries routes they move to the other tunnel (only if it is fit), then
 *   CompleteLifecycleAction(LifecycleActionResult=CONTINUE) is called with the ASG, hook, token and instance
 *   from the event, always, so the termination never waits for the hook's timeout. Needs
 *   autoscaling:CompleteLifecycleAction on the tunnel ASGs, and a rule matching source aws.autoscaling,
 *   detail-type "EC2 Instance-terminate Lifecycle Action", detail.AutoScalingGroupName = the tunnel ASGs; the
 *   hook's heartbeat timeout should cover a failover (60 s is plenty).
 */
import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { ControllerOutcome, FailoverController } from '../services/failover/failover-controller.js';
import type {
  PlannedTermination,
  PlannedTerminationResult,
} from '../services/failover/planned-termination.js';
import type { ReconcileDeferral } from '../services/failover/reconcile-tick.js';
import { routeEvent } from './controller-events.js';

export interface HandlerResult {
  status: 'evaluated' | 'ignored' | 'rejected';
  reason?: string;
  decisions?: Array<{
    site: string;
    action: string;
    code: string;
    reason: string;
    to?: string;
    changed?: number;
  }>;
  /** For the backstop tick: the sites it deferred (their route reads queued long: the fast path is at work). */
  deferred?: ReconcileDeferral[];
  /** For a lifecycle action: whether CompleteLifecycleAction(CONTINUE) went through. */
  lifecycle?: { completed: boolean; reason?: string };
}

const summary = (o: ControllerOutcome) => ({
  site: o.site,
  action: o.decision.action,
  code: o.decision.code,
  reason: o.decision.reason,
  ...(o.decision.to ? { to: o.decision.to } : {}),
  ...(o.result ? { changed: o.result.changed } : {}),
});

/**
 * The transport-neutral core of the Lambda: route the event, run the controller, return what was decided.
 * A malformed event is rejected (logged, not thrown: retrying it would not make it valid).
 */
export function createControllerHandler(deps: {
  topology: Topology;
  controller: Pick<FailoverController, 'evaluate' | 'reconcileAll' | 'settle'>;
  log: Logger;
  /** Planned terminations (ASG lifecycle hook); without it such events are ignored. */
  plannedTermination?: Pick<PlannedTermination, 'handle'>;
  /** How long an invocation waits for a run it follows (default FOLLOW_BUDGET_MS). */
  followBudgetMs?: number;
}): (event: unknown) => Promise<HandlerResult> {
  const handle = routeAndRun(deps);
  return async (event) => {
    try {
      return await handle(event);
    } finally {
      // Nothing of this invocation may outlive it (frozen, then resumed mid-way in a later one).
      await deps.controller.settle(deps.followBudgetMs ?? FOLLOW_BUDGET_MS);
    }
  };
}

/**
 * A run another process holds is followed to its end for at most this long within the invocation: a lease
 * (10 s) ends or is renewed by a live run that ends in seconds; the Lambda's 60 s timeout leaves room for the
 * evaluation it leads to. Past it, the next event or the 1-minute reconcile looks again.
 */
export const FOLLOW_BUDGET_MS = 15_000;

function routeAndRun(deps: Parameters<typeof createControllerHandler>[0]) {
  return async (event: unknown): Promise<HandlerResult> => {
    const routed = routeEvent(event, deps.topology);
    const id = (event as { id?: unknown } | null)?.id;
    const log = deps.log.child({ eventId: typeof id === 'string' ? id : undefined });
    switch (routed.kind) {
      case 'rejected':
        log.warn({ reason: routed.reason }, 'rejected a malformed event; nothing done');
        return { status: 'rejected', reason: routed.reason };
      case 'ignored':
        log.info({ reason: routed.reason }, 'ignored an event');
        return { status: 'ignored', reason: routed.reason };
      case 'reconcile': {
        const { outcomes, deferred } = await deps.controller.reconcileAll();
        return {
          status: 'evaluated',
          decisions: outcomes.map(summary),
          ...(deferred.length > 0 ? { deferred } : {}),
        };
      }
      case 'evaluate':
        return {
          status: 'evaluated',
          decisions: [summary(await deps.controller.evaluate(routed.site, routed.trigger))],
        };
      case 'planned-termination': {
        if (!deps.plannedTermination) {
          log.warn('a lifecycle action arrived but planned terminations are not wired; ignored');
          return { status: 'ignored', reason: 'planned terminations are not handled here' };
        }
        const r: PlannedTerminationResult = await deps.plannedTermination.handle(routed.action);
        return {
          status: 'evaluated',
          decisions: r.outcome ? [summary(r.outcome)] : [],
          lifecycle: { completed: r.completed, ...(r.reason ? { reason: r.reason } : {}) },
        };
      }
    }
  };
}
