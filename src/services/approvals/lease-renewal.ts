import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { ApprovalTransitions } from './approval-transitions.js';

/**
 * Keeps a running request's execution lease ahead of the sweep: every `everyMs` (a quarter of the lease by
 * default, so three renewals can fail before the sweep would step in) leaseUntil moves to now + leaseMs.
 * Only a process that stopped renewing (it died) has its run closed by the sweep. Returns the stop function.
 */
export function renewLeaseWhileRunning(props: {
  transitions: ApprovalTransitions;
  id: string;
  clock: Clock;
  leaseMs: number;
  everyMs?: number;
  log: Logger;
}): () => void {
  const { transitions, id, clock, leaseMs, log } = props;
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy) return;
      busy = true;
      transitions
        .apply(id, (r) =>
          r.state === 'executing'
            ? { ok: true, request: { ...r, leaseUntil: clock.now() + leaseMs } }
            : { ok: false, reason: `request ${id} is ${r.state}` },
        )
        .then((o) => {
          if (!o.ok) clearInterval(timer);
        })
        .catch((err) => log.warn({ err, requestId: id }, 'could not renew the execution lease'))
        .finally(() => {
          busy = false;
        });
    },
    props.everyMs ?? Math.floor(leaseMs / 4),
  );
  timer.unref();
  return () => clearInterval(timer);
}
