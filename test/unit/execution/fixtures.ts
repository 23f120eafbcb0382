import { type Site, siteSchema } from '../../../src/config/topology-schema.js';
import { ok } from '../../../src/domain/outcome.js';
import {
  RouteExistsError,
  RouteMissingError,
  type RouteObservation,
  type RouteTables,
} from '../../../src/ports/route-tables.js';
import { siteInput } from '../../helpers/fakes/site.js';

/** A site with 2 route tables x 2 on-prem CIDRs = 4 routes. */
export const site: Site = siteSchema.parse(siteInput());

export interface ReplaceCall {
  routeTableId: string;
  cidr: string;
  tunnel: string;
  /** ReplaceRoute or CreateRoute. */
  op: 'replace' | 'create';
}

/**
 * In-memory route tables that count ReplaceRoute/CreateRoute calls and can be told to fail one, apply one and
 * then fail it (a timeout after EC2 applied it), ignore one (a route that reads back unchanged), or fail reads.
 * A route with tunnel null is a blackhole; a route `remove()`d is missing (replace refuses it, create adds it).
 * `latencyMs` yields inside each call so concurrent calls overlap; `maxInFlight` records how many did.
 */
export class CountingRouteTables implements RouteTables {
  readonly routes = new Map<string, string | null>();
  readonly calls: ReplaceCall[] = [];
  /** Throw on the n-th write call (1-based, replace or create), counted over all calls including rollbacks. */
  failOnCall = new Set<number>();
  /** Apply the n-th write call, then throw as if the answer was lost (outcome unknown to the caller). */
  applyThenFailOnCall = new Set<number>();
  /** Write calls on these "rtb cidr" keys return success but change nothing (verify must catch it). */
  ignored = new Set<string>();
  observeFails = false;
  latencyMs = 2;
  /** Per-call latency override: the n-th write call (1-based) takes this long. */
  latencyOfCall = new Map<number, number>();
  inFlight = 0;
  maxInFlight = 0;
  /** Runs when each write call starts (e.g. to move a manual clock or steal the lease). */
  beforeWrite: (n: number) => void | Promise<void> = () => {};
  /** Runs after each write (e.g. to move a manual clock). */
  afterReplace: () => void = () => {};

  constructor(initial = 'primary') {
    for (const rtb of site.routeTableIds)
      for (const cidr of site.onPremCidrs) this.routes.set(`${rtb} ${cidr}`, initial);
  }

  set(routeTableId: string, cidr: string, tunnel: string | null): void {
    this.routes.set(`${routeTableId} ${cidr}`, tunnel);
  }

  remove(routeTableId: string, cidr: string): void {
    this.routes.delete(`${routeTableId} ${cidr}`);
  }

  /** Every route of the site in topology order; undefined for a missing one. */
  tunnels(): Array<string | null | undefined> {
    return site.routeTableIds.flatMap((rtb) =>
      site.onPremCidrs.map((cidr) => this.routes.get(`${rtb} ${cidr}`)),
    );
  }

  async observe(sites: readonly Site[]) {
    await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.observeFails)
      return new Map([
        [sites[0]!.name, { ok: false as const, reason: 'AWS throttled the call (RequestLimitExceeded)' }],
      ]);
    const list: RouteObservation[] = site.routeTableIds.flatMap((routeTableId) =>
      site.onPremCidrs.map((cidr) => {
        const key = `${routeTableId} ${cidr}`;
        const tunnel = this.routes.get(key) ?? null;
        const missing = !this.routes.has(key);
        return {
          routeTableId,
          cidr,
          tunnel,
          target: tunnel ? `eni-${tunnel}` : missing ? null : 'eni-gone',
          blackhole: !missing && tunnel === null,
          missing,
        };
      }),
    );
    return new Map([[sites[0]!.name, ok(list)]]);
  }

  replace(_site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void> {
    return this.write('replace', routeTableId, cidr, tunnel);
  }

  create(_site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void> {
    return this.write('create', routeTableId, cidr, tunnel);
  }

  private async write(op: 'replace' | 'create', routeTableId: string, cidr: string, tunnel: string) {
    const n = this.calls.length + 1;
    this.calls.push({ routeTableId, cidr, tunnel, op });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.beforeWrite(n);
      await new Promise((r) => setTimeout(r, this.latencyOfCall.get(n) ?? this.latencyMs));
      this.afterReplace();
      const key = `${routeTableId} ${cidr}`;
      if (this.failOnCall.has(n)) {
        throw Object.assign(new Error('The server encountered an internal error.'), {
          name: 'InternalError',
        });
      }
      if (op === 'replace' && !this.routes.has(key))
        throw new RouteMissingError(`There is no route defined for '${cidr}' in the route table.`);
      if (op === 'create' && this.routes.has(key)) throw new RouteExistsError(`route ${cidr} already exists`);
      if (this.ignored.has(key)) return;
      this.routes.set(key, tunnel);
      if (this.applyThenFailOnCall.has(n)) {
        throw Object.assign(new Error('no answer within 3 s'), { name: 'TimeoutError' });
      }
    } finally {
      this.inFlight--;
    }
  }
}
