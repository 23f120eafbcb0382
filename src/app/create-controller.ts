import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';
import type { LivenessAddress, ProcessLiveness } from '../ports/liveness.js';
import type { Store } from '../ports/store.js';
import { ApprovalService } from '../services/approvals/approval-service.js';
import { FailoverController } from '../services/failover/failover-controller.js';
import {
  heartbeatFailoverExecutor,
  heartbeatTargetCheck,
} from '../services/failover/heartbeat-target-check.js';
import { ReportOutbox } from '../services/failover/report-outbox.js';
import { RedeployExecutor } from '../services/redeploy/redeploy-executor.js';
import { createSlackChat } from '../slack/slack-chat.js';

/**
 * The automatic failover controller with everything it reports to, as both deciders run it: the backstop
 * Lambda and the fast path in each server's monitor. Same executor, site lease and audit. With the Slack token
 * (the lab, local runs) it posts its reports and makes approval requests itself; without it (in AWS neither a
 * server host nor the backstop Lambda holds one) both go into the site's outbox and the bot posts them
 * (services/failover/report-outbox.ts), grouping the reports of one event (an AZ outage healed by every site's
 * fast path and backstop) into one message.
 */
export function createFailoverController(deps: {
  env: Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>;
  topology: Topology;
  /** An AWS account with a shared request budget brings its route-read queue: the reconcile tick defers on it. */
  account: Pick<Account, 'routeTables' | 'tasks' | 'routeReadQueue'>;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Audit actor: which decider ran (the hourly cap counts every automatic actor's failovers). */
  actor?: string;
  /**
   * The fast path in a monitor: its own liveness address (put on its leases) and the client that checks and
   * follows other holders, so a run whose process dies is finished at once rather than after its lease.
   */
  liveness?: { self: LivenessAddress; client: ProcessLiveness };
}): FailoverController {
  const { env, topology, account, store, clock, log } = deps;
  const common = { store, routeTables: account.routeTables, clock };
  const live = deps.liveness ? { holderAt: deps.liveness.self, liveness: deps.liveness.client } : {};
  // Built here rather than by the controller: approved proposals run through the same executor.
  const executor = heartbeatFailoverExecutor({
    ...common,
    ...live,
    log: log.child({ component: 'failover' }),
  });
  const chat = env.SLACK_BOT_TOKEN
    ? createSlackChat(env.SLACK_BOT_TOKEN, env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {})
    : undefined;
  const approvals = chat
    ? new ApprovalService({
        ...common,
        topology,
        chat,
        log,
        failover: executor,
        redeploy: new RedeployExecutor({ ...common, tasks: account.tasks, log }),
        checkTarget: heartbeatTargetCheck({ store, clock }),
      })
    : undefined;
  const outbox = chat ? undefined : new ReportOutbox({ store, clock });
  if (!chat)
    log.info("no SLACK_BOT_TOKEN: reports and proposals go into the site's outbox for the bot to post");
  return new FailoverController({
    topology,
    account,
    store,
    executor,
    clock,
    log,
    chat,
    approvals: approvals ?? outbox,
    ...(outbox ? { reports: outbox } : {}),
    ...(deps.actor ? { actor: deps.actor } : {}),
    ...(deps.liveness ? { liveness: deps.liveness.client } : {}),
  });
}
