import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  type Filter,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { Site, Tunnel } from '../config/topology-schema.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Clock } from '../ports/clock.js';
import { chunks, EC2_FILTER_VALUES_MAX } from './chunks.js';
import type { AwsClients } from './clients.js';
import { isThrottled, type RequestBudget } from './ec2-request-budget.js';

/** The EC2 instance hosting a tunnel's server, with the ENIs a route may point at. */
export interface TunnelInstance {
  instanceId: string;
  state: string;
  /**
   * What ReplaceRoute/CreateRoute target: the tunnel's own interface at device index 1 (infra/ creates one
   * per tunnel and each new instance attaches it at boot, so routes to it outlive the instance), else the
   * instance's ENI at device index 0 (an instance set up without one).
   */
  routeEniId: string | null;
  eniIds: string[];
}

/** Per tunnelKey: the instance, null when nothing matches its discovery rule, or why it is unknown. */
export type Resolution = Map<string, Outcome<TunnelInstance | null>>;

export interface TunnelInstanceResolverProps {
  clients: AwsClients;
  clock: Clock;
  /** Route tables, instances and route replacement share one lookup for this long. */
  ttlMs?: number;
  /** The account's shared EC2 request budget (DescribeInstances has a bucket of its own). */
  budget?: RequestBudget;
}

/** Instances are matched by one filter per call: `tag:<key>` with every value, or `instance-id`. */
const filterOf = (t: Tunnel): Filter =>
  'instanceId' in t.instance ? { Name: 'instance-id' } : { Name: `tag:${t.instance.tag.key}` };
const filterValue = (t: Tunnel): string =>
  'instanceId' in t.instance ? t.instance.instanceId : t.instance.tag.value;

/** Prefer a live instance when a tag matches several (a replaced server leaves a terminated one behind). */
const STATE_RANK = ['running', 'pending', 'stopping', 'stopped', 'shutting-down', 'terminated'];
const rank = (i: Instance): number => {
  const r = STATE_RANK.indexOf(i.State?.Name ?? '');
  return r < 0 ? STATE_RANK.length : r;
};

/**
 * Finds each tunnel's instance with one DescribeInstances per region (per distinct tag key when
 * tunnels use different keys). Results and in-flight calls are shared for a short TTL, so a status
 * report that asks for routes and instances at once makes one call, not two.
 */
export class TunnelInstanceResolver {
  private readonly cache = new Map<string, { at: number; result: Promise<Instance[]> }>();
  private readonly ttlMs: number;

  constructor(private readonly props: TunnelInstanceResolverProps) {
    this.ttlMs = props.ttlMs ?? 5000;
  }

  async resolve(sites: readonly Site[]): Promise<Resolution> {
    const resolution: Resolution = new Map();
    const lookups: Array<Promise<void>> = [];
    for (const [region, regionSites] of sitesByRegion(sites)) {
      const groups = new Map<string, { filter: Filter; tunnels: Array<[string, Tunnel]> }>();
      for (const site of regionSites) {
        for (const t of site.tunnels) {
          const filter = filterOf(t);
          const group = groups.get(filter.Name!) ?? { filter, tunnels: [] };
          group.tunnels.push([tunnelKey(site.name, t.name), t]);
          groups.set(filter.Name!, group);
        }
      }
      for (const { filter, tunnels: all } of groups.values()) {
        const allValues = [...new Set(all.map(([, t]) => filterValue(t)))].sort();
        for (const values of chunks(allValues, EC2_FILTER_VALUES_MAX)) {
          const tunnels = all.filter(([, t]) => values.includes(filterValue(t)));
          lookups.push(
            this.describe(region, { Name: filter.Name, Values: values }).then(
              (instances) => {
                for (const [key, t] of tunnels) resolution.set(key, ok(pick(instances, t)));
              },
              (err: unknown) => {
                for (const [key] of tunnels) resolution.set(key, unknown(reasonOf(err)));
              },
            ),
          );
        }
      }
    }
    await Promise.all(lookups);
    return resolution;
  }

  private describe(region: string, filter: Filter): Promise<Instance[]> {
    const key = `${region} ${filter.Name}=${filter.Values!.join(',')}`;
    const now = this.props.clock.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.result;
    for (const [k, v] of this.cache) if (now - v.at >= this.ttlMs) this.cache.delete(k);
    const result = this.fetch(region, filter);
    this.cache.set(key, { at: now, result });
    // A failure is reported once, not remembered.
    result.catch(() => {
      if (this.cache.get(key)?.result === result) this.cache.delete(key);
    });
    return result;
  }

  private async fetch(region: string, filter: Filter): Promise<Instance[]> {
    // With the budget, a throttled call comes back at once (no SDK backoff): the budget gives it its next turn.
    const ec2 = this.props.budget ? this.props.clients.ec2Budgeted(region) : this.props.clients.ec2(region);
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    const started = Date.now();
    do {
      let page: DescribeInstancesCommandOutput | undefined;
      // In its turn of the budget; with a budget, a throttled read waits for another turn (up to 30 s).
      for (let throttled = false; !page; throttled = true) {
        await this.props.budget?.take(region, 'DescribeInstances', 1, { afterThrottle: throttled });
        page = await ec2
          .send(new DescribeInstancesCommand({ Filters: [filter], NextToken }))
          .catch((err: unknown) => {
            if (!this.props.budget || !isThrottled(err) || Date.now() - started > 30_000) throw err;
            return undefined;
          });
      }
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return instances;
  }
}

function matchesTunnel(i: Instance, t: Tunnel): boolean {
  const discovery = t.instance;
  if ('instanceId' in discovery) return i.InstanceId === discovery.instanceId;
  return (i.Tags ?? []).some((tag) => tag.Key === discovery.tag.key && tag.Value === discovery.tag.value);
}

function pick(instances: Instance[], t: Tunnel): TunnelInstance | null {
  const matches = instances.filter((i) => matchesTunnel(i, t));
  matches.sort(
    (a, b) => rank(a) - rank(b) || (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0),
  );
  const best = matches[0];
  if (!best?.InstanceId) return null;
  const enis = best.NetworkInterfaces ?? [];
  const target =
    enis.find((n) => n.Attachment?.DeviceIndex === 1) ??
    enis.find((n) => n.Attachment?.DeviceIndex === 0) ??
    enis[0];
  return {
    instanceId: best.InstanceId,
    state: best.State?.Name ?? 'unknown',
    routeEniId: target?.NetworkInterfaceId ?? null,
    eniIds: enis.map((n) => n.NetworkInterfaceId).filter((id): id is string => Boolean(id)),
  };
}
