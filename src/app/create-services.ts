import type { Env } from '../config/env-schema.js';
import type { Topology } from '../config/topology-schema.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { AlarmService } from '../services/alarms/alarm-service.js';
import { EXECUTION_LEASE_MS } from '../services/approvals/approval-execution.js';
import { ApprovalService } from '../services/approvals/approval-service.js';
import { CertNotices } from '../services/certs/cert-notices.js';
import { approvedTargetCheck } from '../services/failover/approved-target-check.js';
import { FailoverController } from '../services/failover/failover-controller.js';
import { FailoverExecutor } from '../services/failover/failover-executor.js';
import { ReportOutbox } from '../services/failover/report-outbox.js';
import { RedeployExecutor } from '../services/redeploy/redeploy-executor.js';
import { HostStagedCerts } from '../services/rotation/host-staged-certs.js';
import { RotationExecutor } from '../services/rotation/rotation-executor.js';
import { OverviewService } from '../services/status/overview-service.js';
import { StatusService } from '../services/status/status-service.js';
import { statusTargetCheck } from '../services/status/status-target-check.js';
import { certResolvedMessage, certWarningMessage } from '../slack/views/cert-view.js';
import { uploadHealthGraph } from '../slack/views/health-graph-upload.js';

/** What the services are built from: config and the adapters, one of each per process. */
export interface ServiceDeps {
  env: Env;
  topology: Topology;
  log: Logger;
  clock: Clock;
  store: Store;
  account: Account;
  chat: Chat;
  /** The simulated account, when this process runs the sandbox. */
  sandbox: SandboxAccount | undefined;
}

/** Every use case of the bot, each built once; features wire them into the transports. */
export interface AppServices {
  status: StatusService;
  overview: OverviewService;
  failover: FailoverExecutor;
  redeploy: RedeployExecutor;
  approvals: ApprovalService;
  alarms: AlarmService;
  certNotices: CertNotices;
  controller: FailoverController;
}

/** The composition of the bot's services (the Lambda and the monitors build theirs in create-controller.ts). */
export function createServices(deps: ServiceDeps): AppServices {
  const { env, topology, log, clock, store, account, chat } = deps;
  const status = new StatusService({
    topology,
    account,
    store,
    clock,
    log: log.child({ service: 'status' }),
  });
  const execution = executionServices(deps, status);
  const alarms = new AlarmService({
    topology,
    store,
    chat,
    clock,
    log: log.child({ feature: 'alarms' }),
    ...(env.TUNNELOPS_ALARM_CHANNEL ? { defaultChannel: env.TUNNELOPS_ALARM_CHANNEL } : {}),
    uploadGraph: async (channel, threadTs, siteName) => {
      const graph = await status.healthGraph(siteName);
      if (graph) await uploadHealthGraph(chat, channel, graph, threadTs);
    },
  });
  const overview = new OverviewService({
    status,
    store,
    clock,
    log: log.child({ service: 'overview' }),
    pending: () => execution.approvals.pending(),
    alarms: () => alarms,
    sites: topology.sites,
    ...(chat.userName ? { userName: (id: string) => chat.userName!(id) } : {}),
  });
  const controller = new FailoverController({
    topology,
    account,
    store,
    chat,
    executor: execution.failover,
    approvals: execution.approvals,
    // Through the outbox like every controller's: the relay groups them by event.
    reports: new ReportOutbox({ store, clock }),
    clock,
    log: log.child({ feature: 'controller' }),
  });
  const certNotices = new CertNotices({
    topology,
    store,
    chat,
    clock,
    log: log.child({ feature: 'certs' }),
    render: { warning: certWarningMessage, resolved: certResolvedMessage },
  });
  return { status, overview, alarms, certNotices, controller, ...execution };
}

/** Starts the services that run on their own (alarm publishing, certificate notices); each stops with the app. */
export async function startServices(
  services: AppServices,
  onStop: (fn: () => Promise<void> | void) => void,
): Promise<void> {
  await services.alarms.start();
  onStop(() => services.alarms.stop());
  services.certNotices.start();
  onStop(() => services.certNotices.stop());
}

/** The executors (one site lease, one audit) and the two-person approvals in front of them. */
function executionServices(
  deps: ServiceDeps,
  status: StatusService,
): Pick<AppServices, 'failover' | 'redeploy' | 'approvals'> {
  const { env, topology, clock, store, account, chat } = deps;
  const log = deps.log.child({ feature: 'approvals' });
  // An approved failover's target needs a fresh heartbeat saying up, then a healthy status.
  const checkTarget = approvedTargetCheck({ store, clock, also: statusTargetCheck(status) });
  const common = { store, routeTables: account.routeTables, clock };
  const failover = new FailoverExecutor({
    ...common,
    log: log.child({ component: 'failover' }),
    checkTarget,
  });
  const redeploy = new RedeployExecutor({
    ...common,
    tasks: account.tasks,
    log: log.child({ component: 'redeploy' }),
  });
  // The sandbox's servers read a directory standing in for the certificate bucket; real server hosts install
  // what is published (cert-refresh.sh) and their monitors report it, so the bot never reads the bucket.
  const rotation = new RotationExecutor({
    ...common,
    log: log.child({ component: 'rotation' }),
    certs: deps.sandbox?.serverCerts?.published ?? new HostStagedCerts(store),
    failover,
    redeploy,
    checkTarget,
  });
  const approvals = new ApprovalService({
    ...common,
    topology,
    chat,
    log,
    failover,
    redeploy,
    rotation,
    checkTarget,
    siteStatus: async (site) => (await status.report([site.name])).sites[0],
    executionLeases: {
      ...EXECUTION_LEASE_MS,
      ...(env.TUNNELOPS_FAILOVER_LEASE_SECONDS
        ? { failover: env.TUNNELOPS_FAILOVER_LEASE_SECONDS * 1000 }
        : {}),
    },
  });
  return { failover, redeploy, approvals };
}
