import type { Site } from '../../src/config/topology-schema.js';
import { onPremPrefixListName } from '../../src/domain/route-plan.js';
import { tunnelKey } from '../../src/domain/topology.js';

/** What the fake account holds for one tunnel. */
export interface FakeTunnel {
  site: string;
  tunnel: string;
  region: string;
  tagKey: string;
  tagValue: string;
  instanceId: string;
  eniId: string;
  instanceState: string;
  cluster: string;
  service: string;
  runningTasks: number;
  /** Whether the service's cluster publishes Container Insights task counts. */
  containerInsights: boolean;
  lossPct: number;
  latencyMs: number;
}

export interface FakeRoute {
  region: string;
  routeTableId: string;
  /** The destination: a CIDR, or a prefix list's id (pl-...) for a site with routeDestination: prefix-list. */
  cidr: string;
  eniId: string;
  instanceId: string;
}

/** A fake AWS account derived from a topology: one instance, ENI and service per tunnel; routes to the first tunnel. */
export class FakeAwsState {
  readonly tunnels = new Map<string, FakeTunnel>();
  readonly routes: FakeRoute[] = [];
  /** Customer-managed prefix lists by name (one per prefix-list site, as infra/ creates them): name -> id. */
  readonly prefixLists = new Map<string, string>();
  /** Told of every route a ReplaceRoute/CreateRoute changed (the fleet bench times each site's healing). */
  onRouteChanged: ((route: FakeRoute) => void) | undefined;
  private readonly byEni = new Map<string, FakeTunnel>();

  constructor(sites: readonly Site[]) {
    let n = 0;
    for (const site of sites) {
      for (const t of site.tunnels) {
        n++;
        const hex = n.toString(16).padStart(17, '0');
        const tag =
          'tag' in t.instance ? t.instance.tag : { key: 'instance-id', value: t.instance.instanceId };
        this.tunnels.set(tunnelKey(site.name, t.name), {
          site: site.name,
          tunnel: t.name,
          region: site.region,
          tagKey: tag.key,
          tagValue: tag.value,
          instanceId: 'instanceId' in t.instance ? t.instance.instanceId : `i-${hex}`,
          eniId: `eni-${hex}`,
          instanceState: 'running',
          cluster: t.ecs.cluster,
          service: t.ecs.service,
          runningTasks: 1,
          containerInsights: true,
          lossPct: 0,
          latencyMs: 20 + (n % 7),
        });
        this.byEni.set(`eni-${hex}`, this.tunnels.get(tunnelKey(site.name, t.name))!);
      }
      const active = this.tunnel(site.name, site.tunnels[0]!.name);
      let destinations = site.onPremCidrs;
      if (site.routeDestination === 'prefix-list') {
        const id = `pl-${(this.prefixLists.size + 1).toString(16).padStart(17, '0')}`;
        this.prefixLists.set(onPremPrefixListName(site), id);
        destinations = [id];
      }
      for (const routeTableId of site.routeTableIds) {
        for (const cidr of destinations) {
          this.routes.push({
            region: site.region,
            routeTableId,
            cidr,
            eniId: active.eniId,
            instanceId: active.instanceId,
          });
        }
      }
    }
  }

  tunnel(site: string, tunnel: string): FakeTunnel {
    const t = this.tunnels.get(tunnelKey(site, tunnel));
    if (!t) throw new Error(`no tunnel ${site}/${tunnel}`);
    return t;
  }

  inRegion(region: string): FakeTunnel[] {
    return [...this.tunnels.values()].filter((t) => t.region === region);
  }

  /** A route is a blackhole when the instance behind its ENI is not running. */
  isBlackhole(route: FakeRoute): boolean {
    return this.byEni.get(route.eniId)?.instanceState !== 'running';
  }

  /** The tunnel whose interface this is (routes name their target by ENI). */
  tunnelOfEni(eniId: string): FakeTunnel | undefined {
    return this.byEni.get(eniId);
  }

  /** Points one route at an ENI (ReplaceRoute), or adds it (CreateRoute). Returns what EC2 would refuse, or null. */
  setRoute(
    kind: 'replace' | 'create',
    region: string,
    routeTableId: string,
    cidr: string,
    eniId: string,
  ): { code: string; message: string } | null {
    const owner = this.byEni.get(eniId);
    if (!owner || owner.region !== region)
      return {
        code: 'InvalidNetworkInterfaceID.NotFound',
        message: `The networkInterface ID '${eniId}' does not exist`,
      };
    const route = this.routes.find(
      (r) => r.region === region && r.routeTableId === routeTableId && r.cidr === cidr,
    );
    if (kind === 'replace' && !route)
      return {
        code: 'InvalidParameterValue',
        message: `There is no route defined for '${cidr}' in the route table. Use CreateRoute instead.`,
      };
    if (kind === 'create' && route)
      return { code: 'RouteAlreadyExists', message: `The route identified by ${cidr} already exists.` };
    const next = route ?? { region, routeTableId, cidr, eniId, instanceId: owner.instanceId };
    next.eniId = eniId;
    next.instanceId = owner.instanceId;
    if (!route) this.routes.push(next);
    this.onRouteChanged?.(next);
    return null;
  }
}
