import { type Site, siteSchema } from '../../../src/config/topology-schema.js';
import type { RouteObservation } from '../../../src/domain/observations.js';
import { ok } from '../../../src/domain/outcome.js';
import type { RouteTables } from '../../../src/ports/route-tables.js';
import { siteInput } from '../../helpers/fakes/site.js';

/** A site with 2 route tables x 2 on-prem CIDRs = 4 routes. */
export const site: Site = siteSchema.parse(siteInput());

export interface ReplaceCall {
  routeTableId: string;
  cidr: string;
  tunnel: string;
}

/**
 * In-memory route tables that count ReplaceRoute calls and can be told to fail one, ignore one (a route that
 * reads back unchanged), or fail reads. `latencyMs` yields between calls so concurrent runs interleave.
 */
export class CountingRouteTables implements RouteTables {
  readonly routes = new Map<string, string | null>();
  readonly calls: ReplaceCall[] = [];
  /** Throw on the n-th replace call (1-based), counted over all calls including rollbacks. */
  failOnCall = new Set<number>();
  /** Replace calls on these "rtb cidr" keys return success but change nothing (verify must catch it). */
  ignored = new Set<string>();
  observeFails = false;
  latencyMs = 2;
  /** Runs after each replace (e.g. to move a manual clock). */
  afterReplace: () => void = () => {};

  constructor(initial = 'primary') {
    for (const rtb of site.routeTableIds)
      for (const cidr of site.onPremCidrs) this.routes.set(`${rtb} ${cidr}`, initial);
  }

  set(routeTableId: string, cidr: string, tunnel: string | null): void {
    this.routes.set(`${routeTableId} ${cidr}`, tunnel);
  }

  tunnels(): Array<string | null> {
    return [...this.routes.values()];
  }

  async observe(sites: readonly Site[]) {
    await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.observeFails)
      return new Map([
        [sites[0]!.name, { ok: false as const, reason: 'AWS throttled the call (RequestLimitExceeded)' }],
      ]);
    const list: RouteObservation[] = [...this.routes].map(([k, tunnel]) => {
      const [routeTableId, cidr] = k.split(' ') as [string, string];
      return {
        routeTableId,
        cidr,
        tunnel,
        target: tunnel ? `eni-${tunnel}` : null,
        blackhole: false,
        missing: tunnel === null,
      };
    });
    return new Map([[sites[0]!.name, ok(list)]]);
  }

  async replace(_site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void> {
    await new Promise((r) => setTimeout(r, this.latencyMs));
    this.calls.push({ routeTableId, cidr, tunnel });
    this.afterReplace();
    if (this.failOnCall.has(this.calls.length)) {
      throw Object.assign(new Error('The route identified by 10.21.0.0/16 does not exist.'), {
        name: 'InvalidRoute.NotFound',
      });
    }
    if (this.ignored.has(`${routeTableId} ${cidr}`)) return;
    this.routes.set(`${routeTableId} ${cidr}`, tunnel);
  }
}
