import type { AppContext } from '../app/context.js';
import { simulatedMonitors } from '../monitor/simulated-monitors.js';
import { OutboxRelay } from '../services/failover/report-outbox.js';

/** The reconcile tick: the controller re-reads every site even when no event arrives. */
const RECONCILE_MS = 60_000;
/** How often the sites' outboxes (the server hosts' reports, which hold no Slack token) are posted. */
const OUTBOX_MS = 2_000;

/**
 * The automatic failover controller, in-process: evaluates on every health change of the local
 * monitors and on a reconcile tick. In the sandbox, a simulated monitor per tunnel (driven by chaos
 * break/heal) feeds it, so `vpn chaos break dc1 primary` leads to a proposal (mode propose) or a
 * failover (mode auto); the reconcile tick; the relay of the server hosts' outboxes.
 */
export function registerController(ctx: AppContext): void {
  const log = ctx.log.child({ feature: 'controller' });
  const { controller, approvals } = ctx.services;

  const account = ctx.sandbox;
  if (account) {
    const loops = simulatedMonitors({
      topology: ctx.topology,
      tunnelUp: (site, tunnel) => account.tunnelUp(site, tunnel),
      store: ctx.store,
      clock: ctx.clock,
      log,
      sink: controller,
      ...(account.serverCerts
        ? {
            serverCert: (site: string, tunnel: string) => account.serverCerts?.running(site, tunnel),
            certFault: (site: string, tunnel: string) => account.serverCerts?.fault(site, tunnel) ?? null,
          }
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
    approvals,
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
