import { z } from 'zod';
import type { AppContext } from '../app/context.js';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { BadRequestError, TunnelOpsError } from '../domain/errors.js';
import type { PendingRequest } from '../domain/pending.js';
import { toStatusJson } from '../domain/status.js';
import { findSite, findTunnel, requireSite } from '../domain/topology.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { sendJson } from '../http/server.js';
import type { CommandContext } from '../slack/commands/vpn-command.js';
import { uploadHealthGraph } from '../slack/views/health-graph-upload.js';
import { withPending } from '../slack/views/pending-view.js';
import { statusMessage, unknownSiteMessage } from '../slack/views/status-view.js';

const chaosSchema = z
  .object({ site: z.string().min(1), tunnel: z.string().min(1), action: z.enum(['break', 'heal']) })
  .strict();

/** `/vpn status [site]`, GET /api/status, and (sandbox only) POST /api/sandbox/chaos. */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function registerStatus(ctx: AppContext): void {
  const { status, approvals } = ctx.services;
  const siteNames = () => ctx.topology.sites.map((s) => s.name);
  const pendingBySite = async (sites: string[]): Promise<Map<string, PendingRequest[]>> => {
    const all = await approvals.pending();
    return new Map(sites.map((name) => [name, all.filter((p) => p.site === name)]));
  };

  ctx.commands.status = async (cmd, c: CommandContext) => {
    if (cmd.site && !findSite(ctx.topology, cmd.site)) {
      const msg = unknownSiteMessage(cmd.site, siteNames());
      await c.respond({ response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never });
      return;
    }
    const report = await status.report(cmd.site ? [cmd.site] : undefined);
    const msg = withPending(statusMessage(report), await pendingBySite(report.sites.map((s) => s.name)));
    await c.respond({ response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never });
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

  ctx.http.route(
    'GET',
    '/api/status',
    async (req, res) => {
      const wanted = req.query.getAll('site').flatMap((s) => s.split(',').filter(Boolean));
      for (const name of wanted) requireSite(ctx.topology, name);
      const json = toStatusJson(await status.report(wanted));
      const pending = await pendingBySite(json.sites.map((s) => s.name));
      sendJson(res, 200, {
        ...json,
        sites: json.sites.map((s) => ({ ...s, pending: pending.get(s.name) ?? [] })),
      });
    },
    { auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN) },
  );

  ctx.http.route(
    'POST',
    '/api/sandbox/chaos',
    async (req, res) => {
      const account = ctx.sandbox;
      if (!account) {
        throw new TunnelOpsError('not_found', 'chaos is only available in the sandbox (no AWS credentials)');
      }
      const input = parseChaos(req.rawBody);
      const site = requireSite(ctx.topology, input.site, 'bad_request');
      if (!findTunnel(site, input.tunnel)) {
        throw new BadRequestError(
          `site ${site.name} has no tunnel "${input.tunnel}" (tunnels: ${site.tunnels.map((t) => t.name).join(', ')})`,
        );
      }
      account.chaos[input.action](site.name, input.tunnel);
      await account.saved();
      req.log.info({ ...input }, 'sandbox chaos');
      sendJson(res, 200, { ...input, up: account.tunnelUp(site.name, input.tunnel) });
    },
    // The token first, from the headers: an unauthenticated caller learns nothing, not even whether this is
    // a sandbox, and none of its body is read.
    { auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN) },
  );
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
