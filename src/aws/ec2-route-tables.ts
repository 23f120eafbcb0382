import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import type { RouteObservation } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { assertSiteRoute, isPrefixListRoute, onPremPrefixListName } from '../domain/route-plan.js';
import { findTunnel, sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import { RouteExistsError, RouteMissingError, type RouteTables } from '../ports/route-tables.js';
import { chunks, EC2_FILTER_VALUES_MAX } from './chunks.js';
import type { AwsClients } from './clients.js';
import { Ec2PrefixLists } from './ec2-prefix-lists.js';
import { readInTurn } from './ec2-read-in-turn.js';
import { isThrottled, type RequestBudget } from './ec2-request-budget.js';
import { observeSiteRoutes } from './ec2-route-observation.js';
import { TokenBucket } from './token-bucket.js';
import type { TunnelInstanceResolver } from './tunnel-instance-resolver.js';

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

/**
 * EC2 route tables: one DescribeRouteTables per region (filtered by every site's table ids) and one
 * shared instance lookup per region; ReplaceRoute to the tunnel instance's primary ENI.
 */
export class Ec2RouteTables implements RouteTables {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly prefixLists: Ec2PrefixLists;

  constructor(private readonly props: Ec2RouteTablesProps) {
    this.prefixLists = new Ec2PrefixLists({ ec2: (region) => this.ec2(region), budget: props.budget });
  }

  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>> {
    const result = new Map<string, Outcome<RouteObservation[]>>();
    await Promise.all(
      [...sitesByRegion(sites)].map(async ([region, regionSites]) => {
        const [tables, resolution, lists] = await Promise.all([
          this.describeTables(region, regionSites).then(ok<Map<string, RouteTable>>, (err: unknown) =>
            unknown<Map<string, RouteTable>>(reasonOf(err)),
          ),
          this.props.resolver.resolve(regionSites),
          this.prefixLists
            .ids(region, regionSites)
            .then(ok<Map<string, string>>, (err: unknown) => unknown<Map<string, string>>(reasonOf(err))),
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
          result.set(site.name, observeSiteRoutes(site, tables.value, resolution, listId));
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
      ? { DestinationPrefixListId: await this.prefixLists.idOf(site) }
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
      this.prefixLists
        .ids(region, regionSites)
        .catch((err: unknown) =>
          this.props.log.warn({ err, region }, "could not look up the sites' prefix lists yet"),
        );
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

  private async describeTables(region: string, sites: readonly Site[]): Promise<Map<string, RouteTable>> {
    const ids = [...new Set(sites.flatMap((s) => s.routeTableIds))].sort();
    const tables = new Map<string, RouteTable>();
    const ec2 = this.ec2(region);
    // A filter (unlike RouteTableIds) does not fail the whole call when one table is gone.
    const describe = async (Values: string[]) => {
      let NextToken: string | undefined;
      do {
        const page = await readInTurn(this.props.budget, region, 'DescribeRouteTables', () =>
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
