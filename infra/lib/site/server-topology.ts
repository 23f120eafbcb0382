import { parseTopology } from '../../../src/config/load-topology.js';
import type { Site } from '../../../src/config/topology-schema.js';

/** Stand-ins for the Slack-only fields: valid for the schema, never used by a server or its monitor. */
const UNUSED_APPROVERS = { users: ['U0UNUSED'], userGroups: [] as string[] };
const UNUSED_CHANNEL = 'C0UNUSED';

/**
 * The topology a tunnel server sees: its own site only, with the Slack-only fields (approvers, channel,
 * approval expiry) replaced by fixed stand-ins, and without the host's `server` settings. The OpenVPN config renderer and the monitor need the site's
 * CIDRs, tunnels, probe targets and rise/fall settings; editing another site or the approvers must not
 * restart this site's servers. JSON is YAML, and it is checked with the same schema here.
 */
export function serverTopologyText(site: Site): string {
  // `server` (instance type, volume) is the host's, not the container's: a resize replaces the instances and
  // must not restart the tasks too (the schema fills in its default).
  const { server: _host, ...rest } = withoutDefaultRouteDestination(site);
  const text = JSON.stringify({
    sites: [
      { ...rest, approvers: UNUSED_APPROVERS, slackChannel: UNUSED_CHANNEL, approvalExpiryMinutes: 15 },
    ],
  });
  parseTopology(text, `the server topology of ${site.name}`);
  return text;
}

/**
 * `routeDestination: cidrs` is the default that every site deployed before the option had: left out, so adding
 * the option changes neither the servers' task definitions (a change would replace both servers) nor the
 * controller's bundle.
 */
function withoutDefaultRouteDestination(site: Site): Partial<Site> {
  if (site.routeDestination !== 'cidrs') return site;
  const { routeDestination: _default, ...rest } = site;
  return rest;
}

/** The topology a site's failover controller sees: its own site only, Slack fields included. */
export function siteTopologyText(site: Site): string {
  const text = JSON.stringify({ sites: [withoutDefaultRouteDestination(site)] });
  parseTopology(text, `the controller topology of ${site.name}`);
  return text;
}
