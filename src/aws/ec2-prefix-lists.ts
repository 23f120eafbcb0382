import { DescribeManagedPrefixListsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import { onPremPrefixListName } from '../domain/route-plan.js';
import { chunks, EC2_FILTER_VALUES_MAX } from './chunks.js';
import { readInTurn } from './ec2-read-in-turn.js';
import type { RequestBudget } from './ec2-request-budget.js';

/**
 * The ids of the sites' on-prem prefix lists (routeDestination: prefix-list), found by name. Kept by
 * "region name" for the process's life: infra/ creates a site's list once and its id never changes while the
 * stack lives, so the lookup costs one DescribeManagedPrefixLists per process, not one per read. A name not
 * found is not remembered (the stack may be deploying).
 */
export class Ec2PrefixLists {
  private readonly known = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly props: {
      /** The adapter's client for the region (the budgeted one when there is a budget). */
      ec2: (region: string) => EC2Client;
      budget?: RequestBudget | undefined;
    },
  ) {}

  /** The site's prefix list id; not_found while its stack has not made the list. */
  async idOf(site: Site): Promise<string> {
    const id = (await this.ids(site.region, [site])).get(site.name);
    if (!id)
      throw new TunnelOpsError(
        'not_found',
        `no prefix list named ${onPremPrefixListName(site)} in ${site.region} (routeDestination: prefix-list; deploy the site's stack)`,
      );
    return id;
  }

  /** The prefix list id of every given site that routes to one (by site name); one lookup per name per process. */
  async ids(region: string, sites: readonly Site[]): Promise<Map<string, string>> {
    const wanted = sites.filter((s) => s.routeDestination === 'prefix-list');
    const names = [...new Set(wanted.map(onPremPrefixListName))]
      .filter((name) => !this.known.has(`${region} ${name}`))
      .sort();
    for (const batch of chunks(names, EC2_FILTER_VALUES_MAX)) {
      const lookup = this.describePrefixLists(region, batch);
      for (const name of batch) {
        const key = `${region} ${name}`;
        const id = lookup.then((found) => found.get(name));
        this.known.set(key, id);
        // A failure, or a name not there (yet), is not remembered: the next read asks again.
        const forget = () => {
          if (this.known.get(key) === id) this.known.delete(key);
        };
        id.then((v) => v ?? forget(), forget);
      }
    }
    // Taken now, before a failed lookup is forgotten, so its error reaches the caller.
    const pending = wanted.map(
      (site) => [site.name, this.known.get(`${region} ${onPremPrefixListName(site)}`)] as const,
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
    const ec2 = this.props.ec2(region);
    let NextToken: string | undefined;
    do {
      const page = await readInTurn(this.props.budget, region, 'DescribeManagedPrefixLists', () =>
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
}
