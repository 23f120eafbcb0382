// length: not split yet (issue 19 follow-up: one module per part)
import {
  CreateRouteCommand,
  DescribeManagedPrefixListsCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import type { RouteObservation } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import {
  assertSiteRoute,
  isPrefixListRoute,
  onPremPrefixListName,
  routeDestinations,
} from '../domain/route-plan.js';
import { findTunnel, sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import { RouteExistsError, RouteMissingError, type RouteTables } from '../ports/route-tables.js';
import { chunks, EC2_FILTER_VALUES_MAX } from './chunks.js';
import type { AwsClients } from './clients.js';
import { isThrottled, type RequestBudget } from './ec2-request-budget.js';
import { TokenBucket } from './token-bucket.js';
import type { Resolution, TunnelInstanceResolver } from './tunnel-instance-resolver.js';

export interface Ec2RouteTablesProps {
  clients: AwsClients;
  resolver: TunnelInstanceResolver;
  log: Logger;
  /**
   * The account's EC2 request budget shared through the store: every call waits its turn in it, and a call
   * EC2 still throttles (another caller in the account) waits for a fresh turn and goes again, never failing.
   */
  budget?: RequestBudget;
  /** A mutating call still throttled after this long fails (default 5 min: the run has long been waited out). */
  throttleGiveUpMs?: number;
}

/** EC2's answers for "no such route" (ReplaceRoute) and "route exists" (CreateRoute). */
function routeConflict(err: unknown, what: string): Error {
  const e = err as { name?: string; Code?: string; message?: string };
  const code = e.Code ?? e.name ?? '';
  const msg = e.message ?? '';
  if (code === 'InvalidRoute.NotFound' || (code === 'InvalidParameterValue' && /no route/i.test(msg)))
    return new RouteMissingError(`${what}: ${msg || code}`);
  if (code === 'RouteAlreadyExists') return new RouteExistsError(`${what}: ${msg || code}`);
  return err as Error;
}

/** What a route sends traffic to, for the operator (the first target field AWS filled in). */
const targetOf = (r: Route): string | null =>
  r.InstanceId ??
  r.NetworkInterfaceId ??
  r.TransitGatewayId ??
  r.GatewayId ??
  r.NatGatewayId ??
  r.VpcPeeringConnectionId ??
  r.LocalGatewayId ??
  r.CarrierGatewayId ??
  r.CoreNetworkArn ??
  r.EgressOnlyInternetGatewayId ??
  null;

/**
 * EC2 route tables: one DescribeRouteTables per region (filtered by every site's table ids) and one
 * shared instance lookup per region; ReplaceRoute to the tunnel instance's primary ENI.
 */
export class Ec2RouteTables implements RouteTables {
  private readonly buckets = new Map<string, TokenBucket>();
  /**
   * Prefix list ids by "region name", kept for the process's life: infra/ creates a site's list once and its id
   * never changes while the stack lives, so the lookup costs one DescribeManagedPrefixLists per process, not one
   * per read. A name not found is not remembered (the stack may be deploying).
   */
  private readonly prefixLists = new Map<string, Promise<string | undefined>>();

  constructor(private readonly props: Ec2RouteTablesProps) {}

  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>> {
    const result = new Map<string, Outcome<RouteObservation[]>>();
    await Promise.all(
      [...sitesByRegion(sites)].map(async ([region, regionSites]) => {
        const [tables, resolution, lists] = await Promise.all([
          this.describeTables(region, regionSites).then(ok<Map<string, RouteTable>>, (err: unknown) =>
            unknown<Map<string, RouteTable>>(reasonOf(err)),
          ),
          this.props.resolver.resolve(regionSites),
          this.prefixListIds(region, regionSites).then(ok<Map<string, string>>, (err: unknown) =>
            unknown<Map<string, string>>(reasonOf(err)),
          ),
        ]);
        for (const site of regionSites) {
          if (!tables.ok) {
            result.set(site.name, unknown(tables.reason));
            continue;
          }
          const listId = lists.ok ? lists.value.get(site.name) : undefined;
          if (site.routeDestination === 'prefix-list' && !listId) {
            result.set(
              site.name,
              unknown(
                lists.ok
                  ? `no prefix list named ${onPremPrefixListName(site)} in ${region} (routeDestination: prefix-list; deploy the site's stack)`
                  : `cannot find the prefix list ${onPremPrefixListName(site)}: ${lists.reason}`,
              ),
            );
            continue;
          }
          result.set(site.name, observeSite(site, tables.value, resolution, listId));
        }
      }),
    );
    return result;
  }

  async replace(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.mutate('replace', site, routeTableId, cidr, tunnel, signal);
  }

  async create(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.mutate('create', site, routeTableId, cidr, tunnel, signal);
  }

  /** ReplaceRoute or CreateRoute to the tunnel's route ENI (see TunnelInstance.routeEniId), within the site's own routes. */
  private async mutate(
    kind: 'replace' | 'create',
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    assertSiteRoute(site, routeTableId, cidr);
    const eni = await this.eniOf(site, tunnel);
    // One route per table for the whole site when its CIDRs are in a prefix list (routeDestination: prefix-list).
    const destination = isPrefixListRoute(site, cidr)
      ? { DestinationPrefixListId: await this.prefixListIdOf(site) }
      : { DestinationCidrBlock: cidr };
    const input = { RouteTableId: routeTableId, ...destination, NetworkInterfaceId: eni };
    const api = kind === 'replace' ? 'ReplaceRoute' : 'CreateRoute';
    const started = Date.now();
    for (let throttled = 0; ; throttled++) {
      if (this.props.budget)
        await this.props.budget.take(site.region, api, 1, { afterThrottle: throttled > 0 });
      else await this.bucket(site.region).take();
      // The lease may have run out while we waited for a turn: then the call must not go out at all.
      signal?.throwIfAborted();
      try {
        // The signal also ends the SDK's retries: none goes out once the run's lease is near its end.
        await this.ec2(site.region).send(
          kind === 'replace' ? new ReplaceRouteCommand(input) : new CreateRouteCommand(input),
          {
            ...(signal ? { abortSignal: signal } : {}),
          },
        );
        break;
      } catch (err) {
        // Throttled: nothing was changed, so it is waited out (a fresh turn in the budget), not a failure
        // that would roll the run back and spend more calls.
        if (
          isThrottled(err) &&
          !signal?.aborted &&
          Date.now() - started < (this.props.throttleGiveUpMs ?? 300_000)
        ) {
          this.props.log.warn(
            { site: site.name, routeTableId, cidr, api, throttled: throttled + 1 },
            `${api} throttled; waiting for a turn`,
          );
          continue;
        }
        throw routeConflict(err, `${kind} ${cidr} in ${routeTableId}`);
      }
    }
    this.props.log.info(
      { site: site.name, routeTableId, cidr, tunnel, eni },
      kind === 'replace' ? 'route replaced' : 'route created',
    );
  }

  private async eniOf(site: Site, tunnel: string): Promise<string> {
    const t = findTunnel(site, tunnel);
    if (!t) throw new TunnelOpsError('not_found', `site ${site.name} has no tunnel "${tunnel}"`);
    const key = tunnelKey(site.name, tunnel);
    const found = (await this.props.resolver.resolve([site])).get(key);
    if (!found?.ok) {
      throw new TunnelOpsError(
        'upstream_failed',
        `cannot find the instance of ${key}: ${found?.reason ?? 'no answer'}`,
      );
    }
    const eni = found.value?.routeEniId;
    if (!eni) {
      throw new TunnelOpsError(
        'precondition_failed',
        `${key} has no instance with a network interface to route to`,
      );
    }
    return eni;
  }

  /**
   * Looks up the prefix lists of the given sites now (at process start), so the first failover does not wait
   * for it in a throttled bucket. A failure is only logged: the first read asks again.
   */
  warmUp(sites: readonly Site[]): void {
    for (const [region, regionSites] of sitesByRegion(sites))
      this.prefixListIds(region, regionSites).catch((err: unknown) =>
        this.props.log.warn({ err, region }, "could not look up the sites' prefix lists yet"),
      );
  }

  private async prefixListIdOf(site: Site): Promise<string> {
    const id = (await this.prefixListIds(site.region, [site])).get(site.name);
    if (!id)
      throw new TunnelOpsError(
        'not_found',
        `no prefix list named ${onPremPrefixListName(site)} in ${site.region} (routeDestination: prefix-list; deploy the site's stack)`,
      );
    return id;
  }

  /** The prefix list id of every given site that routes to one (by site name); one lookup per name per process. */
  private async prefixListIds(region: string, sites: readonly Site[]): Promise<Map<string, string>> {
    const wanted = sites.filter((s) => s.routeDestination === 'prefix-list');
    const names = [...new Set(wanted.map(onPremPrefixListName))]
      .filter((name) => !this.prefixLists.has(`${region} ${name}`))
      .sort();
    for (const batch of chunks(names, EC2_FILTER_VALUES_MAX)) {
      const lookup = this.describePrefixLists(region, batch);
      for (const name of batch) {
        const key = `${region} ${name}`;
        const id = lookup.then((found) => found.get(name));
        this.prefixLists.set(key, id);
        // A failure, or a name not there (yet), is not remembered: the next read asks again.
        const forget = () => {
          if (this.prefixLists.get(key) === id) this.prefixLists.delete(key);
        };
        id.then((v) => v ?? forget(), forget);
      }
    }
    // Taken now, before a failed lookup is forgotten, so its error reaches the caller.
    const pending = wanted.map(
      (site) => [site.name, this.prefixLists.get(`${region} ${onPremPrefixListName(site)}`)] as const,
    );
    const ids = new Map<string, string>();
    for (const [site, id] of pending) {
      const found = await id;
      if (found) ids.set(site, found);
    }
    return ids;
  }

  private async describePrefixLists(region: string, names: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const ec2 = this.ec2(region);
    let NextToken: string | undefined;
    do {
      const page = await this.throttledRead(region, 'DescribeManagedPrefixLists', () =>
        ec2.send(
          new DescribeManagedPrefixListsCommand({
            Filters: [{ Name: 'prefix-list-name', Values: names }],
            NextToken,
          }),
        ),
      );
      for (const l of page.PrefixLists ?? [])
        if (l.PrefixListName && l.PrefixListId) found.set(l.PrefixListName, l.PrefixListId);
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  }

  /** With the budget, a throttled call comes back at once (no SDK backoff): the budget gives it its next turn. */
  private ec2(region: string) {
    return this.props.budget ? this.props.clients.ec2Budgeted(region) : this.props.clients.ec2(region);
  }

  /** Without a shared budget (no store): one local bucket per region, as EC2 counts them. */
  private bucket(region: string): TokenBucket {
    let b = this.buckets.get(region);
    if (!b) {
      b = new TokenBucket();
      this.buckets.set(region, b);
    }
    return b;
  }

  /**
   * A read in its turn of the budget; with a budget, a throttled read waits for another turn (up to 30 s) rather
   * than failing: a failed read after the routes moved would make the run roll back what it just did.
   */
  private async throttledRead<T>(region: string, api: string, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let throttled = false; ; throttled = true) {
      await this.props.budget?.take(region, api, 1, { afterThrottle: throttled });
      try {
        return await call();
      } catch (err) {
        if (!this.props.budget || !isThrottled(err) || Date.now() - started > 30_000) throw err;
      }
    }
  }

  private async describeTables(region: string, sites: readonly Site[]): Promise<Map<string, RouteTable>> {
    const ids = [...new Set(sites.flatMap((s) => s.routeTableIds))].sort();
    const tables = new Map<string, RouteTable>();
    const ec2 = this.ec2(region);
    // A filter (unlike RouteTableIds) does not fail the whole call when one table is gone.
    const describe = async (Values: string[]) => {
      let NextToken: string | undefined;
      do {
        const page = await this.throttledRead(region, 'DescribeRouteTables', () =>
          ec2.send(
            new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values }], NextToken }),
          ),
        );
        for (const t of page.RouteTables ?? []) if (t.RouteTableId) tables.set(t.RouteTableId, t);
        NextToken = page.NextToken;
      } while (NextToken);
    };
    await Promise.all(chunks(ids, EC2_FILTER_VALUES_MAX).map(describe));
    return tables;
  }
}

function observeSite(
  site: Site,
  tables: Map<string, RouteTable>,
  resolution: Resolution,
  prefixListId: string | undefined,
): Outcome<RouteObservation[]> {
  // target id (instance or ENI) -> tunnel name
  const targets = new Map<string, string>();
  for (const t of site.tunnels) {
    if ('instanceId' in t.instance) targets.set(t.instance.instanceId, t.name);
    const found = resolution.get(tunnelKey(site.name, t.name));
    if (!found) continue;
    if (!found.ok) return unknown(`cannot tell which tunnel a route points at: ${found.reason}`);
    if (!found.value) continue;
    targets.set(found.value.instanceId, t.name);
    for (const eni of found.value.eniIds) targets.set(eni, t.name);
  }
  const observations: RouteObservation[] = [];
  for (const routeTableId of site.routeTableIds) {
    const routes = tables.get(routeTableId)?.Routes ?? [];
    for (const cidr of routeDestinations(site)) {
      const route = isPrefixListRoute(site, cidr)
        ? routes.find((r) => r.DestinationPrefixListId === prefixListId)
        : routes.find((r) => r.DestinationCidrBlock === cidr);
      if (!route) {
        observations.push({
          routeTableId,
          cidr,
          tunnel: null,
          target: null,
          blackhole: false,
          missing: true,
        });
        continue;
      }
      const tunnel =
        (route.NetworkInterfaceId && targets.get(route.NetworkInterfaceId)) ||
        (route.InstanceId && targets.get(route.InstanceId)) ||
        null;
      observations.push({
        routeTableId,
        cidr,
        tunnel,
        target: targetOf(route),
        blackhole: route.State === 'blackhole',
        missing: false,
      });
    }
  }
  return ok(observations);
}
