import { z } from 'zod';
import type { AppContext } from '../app/context.js';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { BadRequestError, TunnelOpsError } from '../domain/errors.js';
import type { PendingRequest } from '../domain/pending.js';
import { toStatusJson } from '../domain/status.js';
import { findSite, requireSite, requireTunnel } from '../domain/topology.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { type RouteHandler, sendJson } from '../http/server.js';
import type { CommandContext, CommandHandlers } from '../slack/commands/vpn-command.js';
import { OK, refusedWith } from '../slack/commands/vpn-reply-outcome.js';
import { uploadHealthGraph } from '../slack/views/health-graph-upload.js';
import { withPending } from '../slack/views/pending-view.js';
import { statusMessage, unknownSiteMessage } from '../slack/views/status-view.js';

const chaosSchema = z
  .object({ site: z.string().min(1), tunnel: z.string().min(1), action: z.enum(['break', 'heal']) })
  .strict();

/** `/vpn status [site]`, GET /api/status, and (sandbox only) POST /api/sandbox/chaos. */
export function registerStatus(ctx: AppContext): void {
  const pending = (sites: string[]) => pendingBySite(ctx.services.approvals, sites);
  ctx.commands.status = statusCommand(ctx, pending);
  ctx.http.route('GET', '/api/status', statusApi(ctx, pending), {
    auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN),
  });
  // The token first, from the headers: an unauthenticated caller learns nothing, not even whether this is
  // a sandbox, and none of its body is read.
  ctx.http.route('POST', '/api/sandbox/chaos', sandboxChaos(ctx), {
    auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN),
  });
}

type PendingBySite = (sites: string[]) => Promise<Map<string, PendingRequest[]>>;

/** The requests waiting for approval, by site. */
async function pendingBySite(
  approvals: AppContext['services']['approvals'],
  sites: string[],
): Promise<Map<string, PendingRequest[]>> {
  const all = await approvals.pending();
  return new Map(sites.map((name) => [name, all.filter((p) => p.site === name)]));
}

/** `/vpn status [site]`: the report with what waits for approval, then (one site) its health graph. */
function statusCommand(ctx: AppContext, pending: PendingBySite): NonNullable<CommandHandlers['status']> {
  const { status } = ctx.services;
  return async (cmd, c: CommandContext) => {
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
    const report = await status.report(cmd.site ? [cmd.site] : undefined);
    const msg = withPending(statusMessage(report), await pending(report.sites.map((s) => s.name)));
    await c.respond({ response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never }, OK);
    const only = report.sites.length === 1 ? report.sites[0] : undefined;
    if (!only) return;
    const graph = await status.healthGraph(only.name, only.activeTunnel);
    if (!graph) return;
    try {
      await uploadHealthGraph(ctx.chat, c.channelId, graph);
    } catch (err) {
      c.log.warn({ err }, 'could not attach the health graph');
    }
  };
}

/** GET /api/status[?site=a,b]: the report as JSON, each site with its pending requests. */
function statusApi(ctx: AppContext, pending: PendingBySite): RouteHandler {
  return async (req, res) => {
    const wanted = req.query.getAll('site').flatMap((s) => s.split(',').filter(Boolean));
    for (const name of wanted) requireSite(ctx.topology, name);
    const json = toStatusJson(await ctx.services.status.report(wanted));
    const bySite = await pending(json.sites.map((s) => s.name));
    sendJson(res, 200, {
      ...json,
      sites: json.sites.map((s) => ({ ...s, pending: bySite.get(s.name) ?? [] })),
    });
  };
}

/** POST /api/sandbox/chaos {site, tunnel, action}: breaks or heals a sandbox tunnel. */
function sandboxChaos(ctx: AppContext): RouteHandler {
  return async (req, res) => {
    const account = ctx.sandbox;
    if (!account) {
      throw new TunnelOpsError('not_found', 'chaos is only available in the sandbox (no AWS credentials)');
    }
    const input = parseChaos(req.rawBody);
    const site = requireSite(ctx.topology, input.site, 'bad_request');
    requireTunnel(site, input.tunnel, 'bad_request');
    account.chaos[input.action](site.name, input.tunnel);
    await account.saved();
    req.log.info({ ...input }, 'sandbox chaos');
    sendJson(res, 200, { ...input, up: account.tunnelUp(site.name, input.tunnel) });
  };
}

function parseChaos(raw: Buffer): z.infer<typeof chaosSchema> {
  let body: unknown;
  try {
    body = parseBoundedJson(raw.toString('utf8'));
  } catch {
    throw new BadRequestError(
      'expected a JSON body such as {"site":"dc1","tunnel":"primary","action":"break"}',
    );
  }
  const parsed = chaosSchema.safeParse(body);
  if (!parsed.success) {
    throw new BadRequestError('expected {"site":"<site>","tunnel":"<tunnel>","action":"break"|"heal"}');
  }
  return parsed.data;
}
