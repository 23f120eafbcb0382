import type { Site } from '../../src/config/topology-schema.js';
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
  cidr: string;
  eniId: string;
  instanceId: string;
}

/** A fake AWS account derived from a topology: one instance, ENI and service per tunnel; routes to the first tunnel. */
export class FakeAwsState {
  readonly tunnels = new Map<string, FakeTunnel>();
  readonly routes: FakeRoute[] = [];

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
      }
      const active = this.tunnel(site.name, site.tunnels[0]!.name);
      for (const routeTableId of site.routeTableIds) {
        for (const cidr of site.onPremCidrs) {
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
    const owner = [...this.tunnels.values()].find((t) => t.eniId === route.eniId);
    return owner?.instanceState !== 'running';
  }
}
