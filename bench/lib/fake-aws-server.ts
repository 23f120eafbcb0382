import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ec2ApiBuckets } from './ec2-buckets.js';
import type { FakeAwsState } from './fake-aws-state.js';
import { handleCloudWatch } from './fake-cloudwatch.js';
import { ec2Error, handleEc2, type WireReply } from './fake-ec2.js';
import { handleEcs } from './fake-ecs.js';

/**
 * A loopback stand-in for EC2, ECS and CloudWatch on their wire formats (EC2 query + XML, ECS JSON 1.1,
 * CloudWatch JSON 1.0). Region and service come from the SigV4 credential scope, as AWS would route them.
 * Every call waits `delayMs` before answering and is counted per API. With `ec2Buckets`, EC2 throttles as AWS
 * does: each API's bucket per region is checked when the request arrives, and an empty one answers
 * RequestLimitExceeded (HTTP 503, as the SDK sees it) after `throttledDelayMs`, changing nothing.
 */
export class FakeAwsServer {
  readonly calls = new Map<string, number>();
  /** Calls per region. */
  readonly regionCalls = new Map<string, number>();
  /** ECS calls per cluster and API ("tunnelops-site2 DescribeServices"). */
  readonly ecsClusterCalls = new Map<string, number>();
  private server: Server | undefined;

  constructor(
    private readonly state: FakeAwsState,
    private readonly delayMs = 150,
    private readonly throttle?: { ec2Buckets: (region: string) => Ec2ApiBuckets; throttledDelayMs: number },
    /** Told of every EC2 call as it arrives (the fleet bench traces each site's calls). */
    private readonly onEc2Call?: (op: string, params: URLSearchParams, accepted: boolean) => void,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.answer(req).then((reply) => {
        res
          .writeHead(reply.status, { 'Content-Type': reply.contentType, 'x-amzn-RequestId': 'bench' })
          .end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  resetCounts(): void {
    this.calls.clear();
    this.regionCalls.clear();
    this.ecsClusterCalls.clear();
  }

  get total(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  private async answer(req: IncomingMessage): Promise<WireReply> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    // Credential=AKID/20261125/<region>/<service>/aws4_request
    const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
    const [region, service] = [scope?.[1] ?? 'unknown', scope?.[2] ?? 'unknown'];
    const target = String(req.headers['x-amz-target'] ?? '');
    const op =
      service === 'ec2'
        ? (new URLSearchParams(raw).get('Action') ?? '?')
        : target.slice(target.indexOf('.') + 1);
    const api = `${service}:${op}`;
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
    this.regionCalls.set(region, (this.regionCalls.get(region) ?? 0) + 1);
    const body = raw && service !== 'ec2' ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (service === 'ecs') {
      const key = `${String(body.cluster ?? 'default')} ${op}`;
      this.ecsClusterCalls.set(key, (this.ecsClusterCalls.get(key) ?? 0) + 1);
    }
    const accepted = service !== 'ec2' || !this.throttle || this.throttle.ec2Buckets(region).take(op);
    if (service === 'ec2') this.onEc2Call?.(op, new URLSearchParams(raw), accepted);
    if (!accepted) {
      await new Promise((resolve) => setTimeout(resolve, this.throttle?.throttledDelayMs));
      return ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    }
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (service === 'ec2') return handleEc2(this.state, region, new URLSearchParams(raw));
    if (service === 'ecs') return handleEcs(this.state, region, op, body);
    if (service === 'monitoring') return handleCloudWatch(this.state, region, op, body);
    return {
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ __type: 'UnknownService', message: service }),
    };
  }
}
