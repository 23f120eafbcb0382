import type { AppContext } from '../app/context.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import { simulatedMonitors } from '../monitor/simulated-monitors.js';
import type { Account } from '../ports/account.js';
import { FailoverController } from '../services/failover/failover-controller.js';
import { OutboxRelay, ReportOutbox } from '../services/failover/report-outbox.js';

/** The reconcile tick: the controller re-reads every site even when no event arrives. */
const RECONCILE_MS = 60_000;
/** How often the sites' outboxes (the server hosts' reports, which hold no Slack token) are posted. */
const OUTBOX_MS = 2_000;

const isSandboxAccount = (a: Account): a is SandboxAccount =>
  typeof (a as Partial<SandboxAccount>).tunnelUp === 'function';

/**
 * The automatic failover controller, in-process: evaluates on every health change of the local
 * monitors and on a reconcile tick. In the sandbox, a simulated monitor per tunnel (driven by chaos
 * break/heal) feeds it, so `vpn chaos break dc1 primary` leads to a proposal (mode propose) or a
 * failover (mode auto). Runs after the approvals feature, whose executor and approvals it shares.
 */
export function registerController(ctx: AppContext): void {
  const log = ctx.log.child({ feature: 'controller' });
  // With the approvals feature, its executor (target check from the status report) and its approvals;
  // without it, the controller's own heartbeat-checked executor.
  const controller = new FailoverController({
    topology: ctx.topology,
    account: ctx.account,
    store: ctx.store,
    chat: ctx.chat,
    executor: ctx.services.failover,
    approvals: ctx.services.approvals,
    // Through the outbox like every controller's: the relay below groups them by event.
    reports: new ReportOutbox({ store: ctx.store, clock: ctx.clock }),
    clock: ctx.clock,
    log,
  });

  if (ctx.sandbox && isSandboxAccount(ctx.account)) {
    const account = ctx.account;
    const loops = simulatedMonitors({
      topology: ctx.topology,
      tunnelUp: (site, tunnel) => account.tunnelUp(site, tunnel),
      store: ctx.store,
      clock: ctx.clock,
      log,
      sink: controller,
      ...(account.serverCerts
        ? { serverCert: (site: string, tunnel: string) => account.serverCerts?.running(site, tunnel) }
        : {}),
    });
    for (const loop of loops) loop.start({ unref: true });
    // Registered after the store's close, so it runs before it (stops run last-registered first).
    ctx.onStop(() => Promise.all(loops.map((l) => l.stop())).then(() => undefined));
  }

  const timer = setInterval(() => {
    controller.reconcileAll().catch((err) => log.error({ err }, 'reconcile failed'));
  }, RECONCILE_MS);
  timer.unref();
  ctx.onStop(() => clearInterval(timer));

  // The server hosts' fast paths report through the bot: their outbox records become Slack posts here.
  const relay = new OutboxRelay({
    store: ctx.store,
    sites: ctx.topology.sites,
    chat: ctx.chat,
    ...(ctx.services.approvals ? { approvals: ctx.services.approvals } : {}),
    clock: ctx.clock,
    log: log.child({ component: 'outbox' }),
  });
  let draining = false;
  const outboxTimer = setInterval(() => {
    if (draining) return;
    draining = true;
    relay
      .drain()
      .catch((err) => log.error({ err }, 'outbox relay failed'))
      .finally(() => {
        draining = false;
      });
  }, OUTBOX_MS);
  outboxTimer.unref();
  ctx.onStop(() => clearInterval(outboxTimer));
}
