import { readFileSync } from 'node:fs';
import nock from 'nock';
import { AwsClients, type AwsClientsOptions } from '../../../src/aws/clients.js';
import { parseTopology } from '../../../src/config/load-topology.js';
import { type Site, siteSchema } from '../../../src/config/topology-schema.js';

/**
 * nock helpers named for the AWS operations they fake, on the real wire formats: EC2 is a
 * form-encoded query with XML replies, ECS awsJson1_1, CloudWatch awsJson1_0 (X-Amz-Target).
 */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export const fakeClients = (options: AwsClientsOptions = {}): AwsClients =>
  new AwsClients({ credentials: FAKE_CREDENTIALS, maxAttempts: 1, ...options });

export const fixture = (path: string): string => readFileSync(`test/fixtures/aws/${path}`, 'utf8');
export const jsonFixture = <T = Record<string, unknown>>(path: string): T => JSON.parse(fixture(path)) as T;

export const demoSites = (): Site[] =>
  parseTopology(readFileSync('tunnels.yml', 'utf8'), 'tunnels.yml').sites;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A valid site with tag-discovered tunnels; ids derive from the index so tests can predict them. */
export function makeSite(i: number, region: string, cluster = `tunnelops-${region}`): Site {
  const name = `s${i}`;
  return siteSchema.parse({
    name,
    region,
    onPremCidrs: [`10.${i}.0.0/16`],
    routeTableIds: [`rtb-${hex(i, 8)}`],
    probeTargets: [{ kind: 'icmp', host: '10.0.0.10' }],
    tunnels: ['a', 'b'].map((t) => ({
      name: t,
      ecs: { cluster, service: `${name}-${t}` },
      instance: { tag: { key: 'tunnelops:tunnel', value: `${name}-${t}` } },
    })),
    approvers: { users: ['UAPPROVER1'] },
    slackChannel: 'C0SANDBOX1',
  });
}

export type FormBody = Record<string, string>;

/** Fakes one EC2 query action; every request body it answered is pushed to `seen`. */
export function nockEc2(
  region: string,
  action: string,
  status: number,
  xml: string,
  seen: FormBody[] = [],
  times = 1,
) {
  return nock(`https://ec2.${region}.amazonaws.com`)
    .post('/', (body: FormBody) => {
      if (body.Action !== action) return false;
      seen.push(body);
      return true;
    })
    .times(times)
    .reply(status, xml, { 'Content-Type': 'text/xml;charset=UTF-8' });
}

export const ec2Error = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`;

/** Values of a query-encoded list such as Filter.1.Value.N. */
export const formList = (body: FormBody, prefix: string): string[] =>
  Object.keys(body)
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((k) => body[k]!);

type JsonBody = Record<string, unknown>;

function nockJson(host: string, target: string, type: string) {
  return (
    status: number,
    /** The JSON reply, or a function of the request body that builds it. */
    reply: unknown,
    seen: JsonBody[] = [],
    match: (body: JsonBody) => boolean = () => true,
  ) =>
    nock(host, { reqheaders: { 'x-amz-target': target, 'content-type': type } })
      .post('/', (body: JsonBody) => {
        if (!match(body)) return false;
        seen.push(body);
        return true;
      })
      .reply(
        status,
        (_uri, body) =>
          JSON.stringify(
            typeof reply === 'function'
              ? (reply as (b: unknown) => unknown)(typeof body === 'string' ? JSON.parse(body) : body)
              : reply,
          ),
        {
          'Content-Type': type,
        },
      );
}

export const nockEcs = (region: string, op: string) =>
  nockJson(
    `https://ecs.${region}.amazonaws.com`,
    `AmazonEC2ContainerServiceV20141113.${op}`,
    'application/x-amz-json-1.1',
  );

export const nockCloudWatch = (region: string, op: string) =>
  nockJson(
    `https://monitoring.${region}.amazonaws.com`,
    `GraniteServiceVersion20100801.${op}`,
    'application/x-amz-json-1.0',
  );

/** Endpoint-named fakes: each answers one call of its operation (see nockJson for the arguments). */
export const nockDescribeServices = (region: string) => nockEcs(region, 'DescribeServices');
export const nockListTasks = (region: string) => nockEcs(region, 'ListTasks');
export const nockDescribeTasks = (region: string) => nockEcs(region, 'DescribeTasks');
export const nockUpdateService = (region: string) => nockEcs(region, 'UpdateService');
export const nockGetMetricData = (region: string) => nockCloudWatch(region, 'GetMetricData');
export const nockDescribeAlarms = (region: string) => nockCloudWatch(region, 'DescribeAlarms');

// --- ECS and CloudWatch JSON shaped like the API reference ----------------------------------------

/** A service at its count with one completed deployment (DescribeServices fields, without the name). */
export const STEADY_SERVICE = {
  desiredCount: 1,
  runningCount: 1,
  pendingCount: 0,
  deployments: [{ id: 'ecs-svc/1111', status: 'PRIMARY', rolloutState: 'COMPLETED' }],
};

/** DescribeServices answering for whichever services were asked; steady unless `state` says otherwise. */
export const servicesReply =
  (state: (name: string) => JsonBody = () => STEADY_SERVICE) =>
  (body: { services: string[] }) => ({
    services: body.services.map((name) => ({ serviceName: name, ...state(name) })),
    failures: [],
  });

/** One query of a GetMetricData request body. */
export type MetricDataQuery = {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> };
    Period: number;
    Stat: string;
  };
};

/** What the task port reports for a tunnel whose service runs its one task, not deploying. */
export const SETTLED_TASKS = {
  ok: true,
  value: { desired: 1, running: 1, pending: 0, deploying: false },
} as const;

/** What the task port reports for a service whose last task stopped as in describe-tasks-stopped-dc1-secondary.json. */
export const STOPPED_TASKS = {
  ok: true,
  value: {
    desired: 1,
    running: 0,
    pending: 0,
    deploying: false,
    lastStopReason: 'Essential container in task exited',
    lastStoppedAt: new Date(1795593000 * 1000).toISOString(),
  },
} as const;

// --- EC2 XML shaped like the examples in the EC2 API reference ------------------------------------

export interface XmlRoute {
  cidr?: string;
  /** A route to a customer-managed prefix list instead of a CIDR. */
  prefixListId?: string;
  eni?: string;
  instanceId?: string;
  gatewayId?: string;
  state?: 'active' | 'blackhole';
}

export function routeTablesXml(tables: Array<{ id: string; routes: XmlRoute[] }>): string {
  const route = (r: XmlRoute) =>
    `<item>${r.cidr ? `<destinationCidrBlock>${r.cidr}</destinationCidrBlock>` : ''}${r.prefixListId ? `<destinationPrefixListId>${r.prefixListId}</destinationPrefixListId>` : ''}${r.gatewayId ? `<gatewayId>${r.gatewayId}</gatewayId>` : ''}${
      r.instanceId
        ? `<instanceId>${r.instanceId}</instanceId><instanceOwnerId>123456789012</instanceOwnerId>`
        : ''
    }${r.eni ? `<networkInterfaceId>${r.eni}</networkInterfaceId>` : ''}<state>${r.state ?? 'active'}</state><origin>CreateRoute</origin></item>`;
  const table = (t: { id: string; routes: XmlRoute[] }) =>
    `<item><routeTableId>${t.id}</routeTableId><vpcId>vpc-0a60eb65b4EXAMPLE</vpcId><ownerId>123456789012</ownerId><routeSet><item><destinationCidrBlock>172.31.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item>${t.routes
      .map(route)
      .join('')}</routeSet><associationSet/><propagatingVgwSet/><tagSet/></item>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>6f570b0b-9c18-4b07-bdec-73740dcf861a</requestId><routeTableSet>${tables
    .map(table)
    .join('')}</routeTableSet></DescribeRouteTablesResponse>`;
}

export interface XmlInstance {
  id: string;
  state: string;
  tag?: string;
  enis: string[];
  launchTime?: string;
}

/** DescribeManagedPrefixLists' answer: customer-managed lists by name and id. */
export function prefixListsXml(lists: Array<{ id: string; name: string }>): string {
  const item = (l: { id: string; name: string }) =>
    `<item><prefixListId>${l.id}</prefixListId><addressFamily>IPv4</addressFamily><state>create-complete</state><prefixListArn>arn:aws:ec2:us-east-1:123456789012:prefix-list/${l.id}</prefixListArn><prefixListName>${l.name}</prefixListName><maxEntries>2</maxEntries><version>1</version><tagSet/><ownerId>123456789012</ownerId></item>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeManagedPrefixListsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><prefixListSet>${lists.map(item).join('')}</prefixListSet></DescribeManagedPrefixListsResponse>`;
}

export function instancesXml(instances: XmlInstance[]): string {
  const codes: Record<string, number> = {
    pending: 0,
    running: 16,
    'shutting-down': 32,
    terminated: 48,
    stopping: 64,
    stopped: 80,
  };
  const inst = (i: XmlInstance) =>
    `<item><instanceId>${i.id}</instanceId><imageId>ami-0abcdef1234567890</imageId><instanceState><code>${codes[i.state] ?? 16}</code><name>${i.state}</name></instanceState><instanceType>t3.small</instanceType><launchTime>${
      i.launchTime ?? '2026-11-01T10:00:00.000Z'
    }</launchTime><networkInterfaceSet>${i.enis
      .map(
        (eni, n) =>
          `<item><networkInterfaceId>${eni}</networkInterfaceId><status>in-use</status><attachment><attachmentId>eni-attach-${n}</attachmentId><deviceIndex>${n}</deviceIndex><status>attached</status></attachment></item>`,
      )
      .join('')}</networkInterfaceSet><tagSet>${
      i.tag ? `<item><key>tunnelops:tunnel</key><value>${i.tag}</value></item>` : ''
    }</tagSet></item>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>8f7724cf-496f-496e-8fe3-example</requestId><reservationSet><item><reservationId>r-1234567890abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>${instances
    .map(inst)
    .join('')}</instancesSet></item></reservationSet></DescribeInstancesResponse>`;
}
