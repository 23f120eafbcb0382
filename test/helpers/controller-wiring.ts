import type { Topology } from '../../src/config/topology-schema.js';
import { type Logger, silentLogger } from '../../src/log.js';
import type { Account } from '../../src/ports/account.js';
import type { Chat } from '../../src/ports/chat.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { FailoverController, type FailoverProposer } from '../../src/services/failover-controller.js';
import { FailoverExecutor } from '../../src/services/failover-executor.js';
import { heartbeatTargetCheck } from '../../src/services/heartbeat-target-check.js';

export interface ControllerWiringProps {
  topology: Topology;
  account: Pick<Account, 'routeTables' | 'tasks'>;
  store: Store;
  clock: Clock;
  chat?: Chat;
  approvals?: FailoverProposer;
  /** The controller's logger (pass a capturing one to read its decisions); the executor logs nowhere. */
  log?: Logger;
}

/**
 * The automatic failover path as the app wires it (src/features/controller.ts): an executor on the
 * account's route tables whose target check reads heartbeats, and a controller in front of it.
 */
export function wireController(p: ControllerWiringProps) {
  const { topology, account, store, clock } = p;
  const executor = new FailoverExecutor({
    store,
    routeTables: account.routeTables,
    clock,
    log: silentLogger(),
    checkTarget: heartbeatTargetCheck({ store, clock }),
  });
  const controller = new FailoverController({
    topology,
    account,
    store,
    executor,
    clock,
    log: p.log ?? silentLogger(),
    ...(p.chat ? { chat: p.chat } : {}),
    ...(p.approvals ? { approvals: p.approvals } : {}),
  });
  return { executor, controller };
}
