import { wrongState } from '../../domain/approval.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import { type Every, LeaseKeeper } from '../execution/lease-keeper.js';
import type { ApprovalTransitions } from './approval-transitions.js';

/**
 * Keeps a running request's execution lease ahead of the sweep: every `everyMs` (a quarter of the lease by
 * default, so three renewals can fail before the sweep would step in) leaseUntil moves to now + leaseMs.
 * Only a process that stopped renewing (it died) has its run closed by the sweep. A request that is no longer
 * executing (the sweep closed it) is a lost lease: renewing stops.
 */
export function keepExecutionLease(props: {
  transitions: ApprovalTransitions;
  id: string;
  /** The leaseUntil the 'start' transition stored. */
  leaseUntil: number;
  clock: Clock;
  leaseMs: number;
  everyMs?: number;
  log: Logger;
  every?: Every;
}): LeaseKeeper {
  const { transitions, id, clock, leaseMs } = props;
  return new LeaseKeeper({
    lease: {
      expiresAt: props.leaseUntil,
      async renew() {
        const until = clock.now() + leaseMs;
        const o = await transitions.apply(id, (r) =>
          r.state === 'executing'
            ? { ok: true, request: { ...r, leaseUntil: until } }
            : { ok: false, refusal: wrongState(r, 'renew') },
        );
        return o.ok ? until : null;
      },
    },
    name: 'execution lease',
    everyMs: props.everyMs ?? Math.floor(leaseMs / 4),
    clock,
    log: props.log.child({ requestId: id }),
    ...(props.every ? { every: props.every } : {}),
  });
}
