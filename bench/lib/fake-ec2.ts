import type { FakeAwsState } from './fake-aws-state.js';

/** EC2 query API (form-encoded request, XML reply) for the actions status uses. */
export type WireReply = { status: number; contentType: string; body: string };

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const xml = (body: string): WireReply => ({ status: 200, contentType: 'text/xml;charset=UTF-8', body });
export const ec2Error = (status: number, code: string, message: string): WireReply => ({
  status,
  contentType: 'text/xml;charset=UTF-8',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>bench</RequestID></Response>`,
});

/** Values of Filter.1.Value.N (status sends one filter). */
function filter(params: URLSearchParams): { name: string; values: Set<string> } {
  const values = new Set<string>();
  for (const [k, v] of params) if (/^Filter\.1\.Value\.\d+$/.test(k)) values.add(v);
  return { name: params.get('Filter.1.Name') ?? '', values };
}

export function handleEc2(state: FakeAwsState, region: string, params: URLSearchParams): WireReply {
  const action = params.get('Action');
  if (action === 'DescribeRouteTables') {
    const f = filter(params);
    if (f.name !== 'route-table-id')
      return ec2Error(400, 'InvalidParameterValue', `unsupported filter ${f.name}`);
    const tables = new Map<string, string[]>();
    for (const r of state.routes) {
      if (r.region !== region || !f.values.has(r.routeTableId)) continue;
      const routes = tables.get(r.routeTableId) ?? [];
      routes.push(
        `<item>${r.cidr.startsWith('pl-') ? `<destinationPrefixListId>${r.cidr}</destinationPrefixListId>` : `<destinationCidrBlock>${r.cidr}</destinationCidrBlock>`}<instanceId>${r.instanceId}</instanceId><instanceOwnerId>123456789012</instanceOwnerId><networkInterfaceId>${r.eniId}</networkInterfaceId><state>${state.isBlackhole(r) ? 'blackhole' : 'active'}</state><origin>CreateRoute</origin></item>`,
      );
      tables.set(r.routeTableId, routes);
    }
    const items = [...tables].map(
      ([id, routes]) =>
        `<item><routeTableId>${id}</routeTableId><vpcId>vpc-0bench</vpcId><ownerId>123456789012</ownerId><routeSet><item><destinationCidrBlock>172.31.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item>${routes.join('')}</routeSet><associationSet/><propagatingVgwSet/><tagSet/></item>`,
    );
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRouteTablesResponse xmlns="${XMLNS}"><requestId>bench</requestId><routeTableSet>${items.join('')}</routeTableSet></DescribeRouteTablesResponse>`,
    );
  }
  if (action === 'DescribeInstances') {
    const f = filter(params);
    const matches = state
      .inRegion(region)
      .filter((t) =>
        f.name === 'instance-id'
          ? f.values.has(t.instanceId)
          : f.name === `tag:${t.tagKey}` && f.values.has(t.tagValue),
      );
    const items = matches.map(
      (t) =>
        `<item><instanceId>${t.instanceId}</instanceId><instanceState><code>${t.instanceState === 'running' ? 16 : 80}</code><name>${t.instanceState}</name></instanceState><instanceType>t3.small</instanceType><launchTime>2026-11-01T10:00:00.000Z</launchTime><networkInterfaceSet><item><networkInterfaceId>${t.eniId}</networkInterfaceId><status>in-use</status><attachment><deviceIndex>0</deviceIndex><status>attached</status></attachment></item></networkInterfaceSet><tagSet><item><key>${t.tagKey}</key><value>${t.tagValue}</value></item></tagSet></item>`,
    );
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>bench</requestId><reservationSet><item><reservationId>r-0bench</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>${items.join('')}</instancesSet></item></reservationSet></DescribeInstancesResponse>`,
    );
  }
  if (action === 'DescribeManagedPrefixLists') {
    const f = filter(params);
    if (f.name !== 'prefix-list-name')
      return ec2Error(400, 'InvalidParameterValue', `unsupported filter ${f.name}`);
    const items = [...state.prefixLists]
      .filter(([name]) => f.values.has(name))
      .map(
        ([name, id]) =>
          `<item><prefixListId>${id}</prefixListId><addressFamily>IPv4</addressFamily><state>create-complete</state><prefixListName>${name}</prefixListName><maxEntries>2</maxEntries><version>1</version><ownerId>123456789012</ownerId></item>`,
      );
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeManagedPrefixListsResponse xmlns="${XMLNS}"><requestId>bench</requestId><prefixListSet>${items.join('')}</prefixListSet></DescribeManagedPrefixListsResponse>`,
    );
  }
  if (action === 'ReplaceRoute' || action === 'CreateRoute') {
    const eni = params.get('NetworkInterfaceId');
    const rtb = params.get('RouteTableId');
    // A route's destination is a CIDR or a prefix list (the one id stands for all its entries).
    const cidr = params.get('DestinationCidrBlock') ?? params.get('DestinationPrefixListId');
    if (!eni || !rtb || !cidr)
      return ec2Error(
        400,
        'MissingParameter',
        'RouteTableId, DestinationCidrBlock or DestinationPrefixListId, and NetworkInterfaceId are required',
      );
    const refused = state.setRoute(action === 'ReplaceRoute' ? 'replace' : 'create', region, rtb, cidr, eni);
    if (refused) return ec2Error(400, refused.code, refused.message);
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}"><requestId>bench</requestId><return>true</return></${action}Response>`,
    );
  }
  return ec2Error(400, 'InvalidAction', `the fake does not implement ${action}`);
}
