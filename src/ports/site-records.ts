import { CERT_REPORT_NS } from '../domain/cert-expiry.js';
import { HEARTBEAT_NS } from '../domain/heartbeat.js';

/**
 * Store namespaces whose every record belongs to one site, each with how its key names the site. The DynamoDB
 * store keeps them in that site's own partitions (`site#<site>#<ns>`), so IAM can fence a server host to its
 * own site's records with dynamodb:LeadingKeys (infra/lib/site/server-task.ts); listing such a namespace is
 * per site. Key formats: the heartbeat's `<site>/<tunnel>` (domain/heartbeat.ts), the site lease's
 * `site:<site>` (services/execution/site-lock.ts), the controller notice's, the failover runs' and the route epoch's `<site>`
 * (services/failover/controller-notices.ts, failover-runs.ts, route-epoch.ts), the outbox's `<site>/<id>` (services/failover/report-outbox.ts)
 * and the certificate report's `<site>/<tunnel>` (domain/cert-expiry.ts).
 * test/unit/store/site-partitions.test.ts checks each writer's records land in its site's partition.
 */
/** `<site>/<rest>`: the part before the first slash ('' when there is none). */
const beforeSlash = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const SITE_OF_KEY: Readonly<Record<string, (key: string) => string>> = {
  [HEARTBEAT_NS]: beforeSlash,
  lock: (key) => (key.startsWith('site:') ? key.slice('site:'.length) : ''),
  'controller-notice': (key) => key,
  'failover-runs': (key) => key,
  'route-epoch': (key) => key,
  outbox: beforeSlash,
  [CERT_REPORT_NS]: beforeSlash,
};

/** Site names as the topology allows them (so a partition name cannot run into another site's). */
const SITE_NAME = /^[a-z][a-z0-9-]*$/;
export const isSiteName = (site: string): boolean => SITE_NAME.test(site);

export const isSiteNamespace = (ns: string): boolean => Object.hasOwn(SITE_OF_KEY, ns);

/** The site a record of a site namespace belongs to; undefined for other namespaces; throws on a bad key. */
export function siteOfRecord(ns: string, key: string): string | undefined {
  const of = Object.hasOwn(SITE_OF_KEY, ns) ? SITE_OF_KEY[ns] : undefined;
  if (!of) return undefined;
  const site = of(key);
  if (!SITE_NAME.test(site)) throw new Error(`store: key "${key}" of namespace ${ns} names no site`);
  return site;
}

/**
 * Site namespaces the bot reads for every site at once (Store.listAllSites): the outbox, polled every 2 s, would
 * otherwise cost one query per site per poll. DynamoDB indexes their records (a second write each), so only
 * rarely written namespaces belong here; heartbeats (written every second) are read by key instead (getMany).
 */
const FLEET_LISTED: ReadonlySet<string> = new Set(['outbox']);
export const isFleetListed = (ns: string): boolean => FLEET_LISTED.has(ns);

export function checkFleetList(ns: string): void {
  if (!isFleetListed(ns)) throw new Error(`store: namespace ${ns} is not listed across sites`);
}

/** For list(ns, { site }): the namespace must be a site namespace (other namespaces are listed whole). */
export function checkSiteList(ns: string, site: string | undefined): void {
  if (site !== undefined && !isSiteNamespace(ns))
    throw new Error(`store: namespace ${ns} is not kept per site; list it without a site`);
  if (site === undefined && isSiteNamespace(ns))
    throw new Error(`store: namespace ${ns} is kept per site; list it with { site }`);
}
