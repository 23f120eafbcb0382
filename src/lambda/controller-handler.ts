import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { ControllerOutcome, FailoverController } from '../services/failover-controller.js';
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
  controller: Pick<FailoverController, 'evaluate' | 'reconcileAll'>;
  log: Logger;
}): (event: unknown) => Promise<HandlerResult> {
  return async (event) => {
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
      case 'reconcile':
        return { status: 'evaluated', decisions: (await deps.controller.reconcileAll()).map(summary) };
      case 'evaluate':
        return {
          status: 'evaluated',
          decisions: [summary(await deps.controller.evaluate(routed.site, routed.trigger))],
        };
    }
  };
}
