import type { AppContext } from '../app/context.js';
import { findSite } from '../domain/topology.js';
import type { SandboxAccount } from '../local/sandbox-account.js';
import { ensureSandboxPki } from '../local/sandbox-pki.js';
import { CertWatch } from '../monitor/cert-watch.js';
import { readSiteCerts } from '../services/certs/cert-reports.js';
import { OK, refusedWith } from '../slack/commands/vpn-reply-outcome.js';
import { certsMessage } from '../slack/views/cert-view.js';
import { unknownSiteMessage } from '../slack/views/status-view.js';

/**
 * Certificates: `/vpn certs [site]` and, in the sandbox, the demo's own PKI with a reader standing in for each server's
 * monitor (the same CertWatch), so the sandbox shows a real expiry warning.
 */
export async function registerCerts(ctx: AppContext): Promise<void> {
  const log = ctx.log.child({ feature: 'certs' });
  ctx.commands.certs = async (cmd, c) => {
    if (cmd.site && !findSite(ctx.topology, cmd.site)) {
      const msg = unknownSiteMessage(
        cmd.site,
        ctx.topology.sites.map((s) => s.name),
      );
      await c.respond(
        { response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never },
        refusedWith('unknown-site'),
      );
      return;
    }
    const sites = ctx.topology.sites.filter((s) => !cmd.site || s.name === cmd.site);
    const msg = certsMessage(await readSiteCerts(ctx.store, sites));
    await c.respond({ response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never }, OK);
  };

  if (ctx.sandbox && ctx.env.TUNNELOPS_SANDBOX_PKI === '1') {
    const serverCerts = (ctx.account as Partial<SandboxAccount>).serverCerts;
    for (const server of await ensureSandboxPki(ctx.dataDir, ctx.topology, log)) {
      const watch = new CertWatch({
        pkiDir: server.pkiDir,
        site: server.site,
        tunnel: server.tunnel,
        peerCertPath: server.clientCert,
        store: ctx.store,
        clock: ctx.clock,
        log: log.child({ server: `${server.site}/${server.tunnel}` }),
      });
      // Reported before the first notices round, so the warning is in the transcript right after start.
      await watch.check();
      // The simulated monitors carry its fault, as the real one beside each server does.
      serverCerts?.watch(server.site, server.tunnel, watch);
      watch.start();
      ctx.onStop(() => watch.stop());
    }
    // A first start has only now published the PKI: the simulated servers load it, as servers booting after the
    // publish would (so `/vpn rotate` sees them on it).
    await serverCerts?.startAll(ctx.topology);
  }
}
