import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import type { RouteObservation } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { assertSiteRoute, isPrefixListRoute, routeDestinations } from '../domain/route-plan.js';
import { RouteExistsError, type RouteTables } from '../ports/route-tables.js';

/** Runs a command and resolves to its stdout (injectable so the adapter is unit-testable without root). */
export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<string>;

const execFileAsync = promisify(execFile);
export const execRunner: CommandRunner = async (cmd, args) => {
  try {
    return (await execFileAsync(cmd, [...args], { timeout: 10_000 })).stdout;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
    throw new TunnelOpsError('upstream_failed', `${cmd} ${args.join(' ')}: ${stderr || reasonOf(err)}`);
  }
};

export interface NetnsRouteTablesProps {
  /** Namespace of the router whose routing tables play the VPC route tables. */
  namespace: string;
  /** Route table id (as in tunnels.yml) -> Linux routing table number or name. */
  tables: Record<string, number | string>;
  /** Site name -> tunnel name -> next hop address (the tunnel's server host). */
  nextHops: Record<string, Record<string, string>>;
  run?: CommandRunner;
  /**
   * Mean delay added to every route change, modelling EC2 ReplaceRoute's latency (the lab's LAB_ROUTE_DELAY_MS).
   * Calls take 0.5x to 1.5x of it in a fixed cycle: real calls vary, so parallel changes do not land together.
   */
  delayMs?: number;
}

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  type?: string;
}

/**
 * The lab's RouteTables: Linux routing tables in a namespace stand in for VPC route tables, behind the same port
 * as EC2. `ip route replace` is atomic like ReplaceRoute (never delete + create); observe() maps each route's
 * next hop back to the tunnel whose server host it is.
 */
export class NetnsRouteTables implements RouteTables {
  private readonly run: CommandRunner;
  private calls = 0;

  constructor(private readonly props: NetnsRouteTablesProps) {
    this.run = props.run ?? execRunner;
  }

  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>> {
    // One `ip route show` per table, shared by every site that lists it (the EC2 adapter batches per region).
    const shown = new Map<string, Promise<IpRoute[]>>();
    const show = (rtb: string): Promise<IpRoute[]> => {
      let p = shown.get(rtb);
      if (!p) {
        p = this.showTable(rtb);
        shown.set(rtb, p);
      }
      return p;
    };
    const result = new Map<string, Outcome<RouteObservation[]>>();
    for (const site of sites) {
      try {
        const observations: RouteObservation[] = [];
        for (const rtb of site.routeTableIds) {
          const routes = await show(rtb);
          for (const dest of routeDestinations(site))
            observations.push(this.observeRoute(site, rtb, dest, routes));
        }
        result.set(site.name, ok(observations));
      } catch (err) {
        result.set(site.name, unknown(reasonOf(err)));
      }
    }
    return result;
  }

  /** `ip route replace` (Linux creates a missing route here; EC2 would refuse, which the executor handles). */
  async replace(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.ipRoute('replace', site, routeTableId, cidr, tunnel, signal);
  }

  /** `ip route add`: fails with "File exists" when the route is there, like CreateRoute's RouteAlreadyExists. */
  async create(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.ipRoute('add', site, routeTableId, cidr, tunnel, signal);
    } catch (err) {
      if (/File exists/.test(reasonOf(err))) throw new RouteExistsError(reasonOf(err));
      throw err;
    }
  }

  private async ipRoute(
    verb: 'replace' | 'add',
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    assertSiteRoute(site, routeTableId, cidr);
    const via = this.props.nextHops[site.name]?.[tunnel];
    if (!via) throw new TunnelOpsError('not_found', `no next hop known for tunnel ${site.name}/${tunnel}`);
    if (this.props.delayMs) {
      const factor = 0.5 + (this.calls++ % 4) / 3;
      await new Promise((r) => setTimeout(r, Math.round(this.props.delayMs! * factor)));
    }
    // As with EC2's SDK call: a change whose lease ran out during the (emulated) call delay is not made.
    signal?.throwIfAborted();
    // A prefix-list route is every CIDR of the list at once: one call here, as it is one ReplaceRoute in EC2.
    const cidrs = isPrefixListRoute(site, cidr) ? site.onPremCidrs : [cidr];
    for (const c of cidrs)
      await this.run('ip', [
        '-n',
        this.props.namespace,
        'route',
        verb,
        c,
        'via',
        via,
        'table',
        this.table(routeTableId),
      ]);
  }

  private table(rtb: string): string {
    const t = this.props.tables[rtb];
    if (t === undefined)
      throw new TunnelOpsError('not_found', `route table ${rtb} is not mapped to a routing table`);
    return String(t);
  }

  private async showTable(rtb: string): Promise<IpRoute[]> {
    const out = await this.run('ip', [
      '-n',
      this.props.namespace,
      '-j',
      'route',
      'show',
      'table',
      this.table(rtb),
    ]);
    return out.trim() ? (JSON.parse(out) as IpRoute[]) : [];
  }

  /** A prefix-list route is observed as its CIDRs' routes: on a tunnel when they all are, else as the first odd one. */
  private observeRoute(site: Site, routeTableId: string, dest: string, routes: IpRoute[]): RouteObservation {
    if (!isPrefixListRoute(site, dest)) return this.toObservation(site, routeTableId, dest, routes);
    const each = site.onPremCidrs.map((c) => this.toObservation(site, routeTableId, c, routes));
    const odd = each.find((o) => o.missing || o.blackhole || o.tunnel !== each[0]?.tunnel) ?? each[0]!;
    return { ...odd, cidr: dest };
  }

  private toObservation(site: Site, routeTableId: string, cidr: string, routes: IpRoute[]): RouteObservation {
    // ip prints a /32 without its prefix length.
    const route = routes.find((r) => r.dst === cidr || `${r.dst}/32` === cidr);
    if (!route) return { routeTableId, cidr, tunnel: null, target: null, blackhole: false, missing: true };
    const blackhole = route.type === 'blackhole' || route.type === 'unreachable' || route.type === 'prohibit';
    const hops = this.props.nextHops[site.name] ?? {};
    const tunnel = Object.entries(hops).find(([, ip]) => ip === route.gateway)?.[0] ?? null;
    return {
      routeTableId,
      cidr,
      tunnel: blackhole ? null : tunnel,
      target: route.gateway ?? route.dev ?? route.type ?? null,
      blackhole,
      missing: false,
    };
  }
}
