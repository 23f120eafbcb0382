import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AwsClients } from '../../../src/aws/clients.js';
import { reasonOf } from '../../../src/domain/outcome.js';
import { ec2Error, FAKE_CREDENTIALS, routeTablesXml } from './aws-http.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let server: Server | undefined;

/** A real loopback HTTP server standing in for AWS, to test the endpoint override end to end. */
async function fakeAws(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    req.on('end', () => handler(req, res, requests.length));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((resolve) => s.close(resolve));
});

describe('AwsClients', () => {
  it('sends plain request bodies only to an endpoint override (moto stores nothing of a gzip PutMetricData)', () => {
    expect(new AwsClients({ endpoint: 'http://127.0.0.1:5000' }).config('eu-west-1')).toMatchObject({
      endpoint: 'http://127.0.0.1:5000',
      disableRequestCompression: true,
    });
    expect(new AwsClients().config('eu-west-1')).not.toHaveProperty('disableRequestCompression');
  });

  it('builds one cached client per service and region', () => {
    const clients = new AwsClients({ credentials: FAKE_CREDENTIALS });
    expect(clients.ec2('eu-west-1')).toBe(clients.ec2('eu-west-1'));
    expect(clients.ec2('eu-west-1')).not.toBe(clients.ec2('us-east-1'));
    expect(clients.ec2('eu-west-1')).toBeInstanceOf(EC2Client);
    expect(clients.ecs('eu-west-1')).toBeInstanceOf(ECSClient);
    expect(clients.cloudwatch('eu-west-1')).toBeInstanceOf(CloudWatchClient);
    expect(clients.dynamodb('eu-west-1')).toBeInstanceOf(DynamoDBClient);
    expect(clients.sqs('eu-west-1')).toBeInstanceOf(SQSClient);
    expect(clients.eventbridge('eu-west-1')).toBeInstanceOf(EventBridgeClient);
    clients.destroy();
  });

  it('sends calls to the endpoint override, signed for the region, with the tunnelops user agent', async () => {
    const aws = await fakeAws((_req, res) => {
      res
        .writeHead(200, { 'Content-Type': 'text/xml' })
        .end(routeTablesXml([{ id: 'rtb-0123abcd', routes: [] }]));
    });
    const clients = new AwsClients({ endpoint: aws.url, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });

    const out = await clients.ec2('eu-west-1').send(new DescribeRouteTablesCommand({}));

    expect(out.RouteTables?.[0]?.RouteTableId).toBe('rtb-0123abcd');
    const headers = aws.requests[0]!.headers;
    expect(headers['x-amz-user-agent']).toContain('tunnelops/0.1');
    expect(headers.authorization).toContain(`${FAKE_CREDENTIALS.accessKeyId}/`);
    expect(headers.authorization).toContain('/eu-west-1/ec2/aws4_request');
    clients.destroy();
  });

  it('retries a throttled call up to maxAttempts', async () => {
    const aws = await fakeAws((_req, res, n) => {
      if (n === 1)
        res
          .writeHead(503, { 'Content-Type': 'text/xml' })
          .end(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));
      else res.writeHead(200, { 'Content-Type': 'text/xml' }).end(routeTablesXml([]));
    });
    const clients = new AwsClients({ endpoint: aws.url, credentials: FAKE_CREDENTIALS, maxAttempts: 2 });

    await clients.ec2('eu-west-1').send(new DescribeRouteTablesCommand({}));

    expect(aws.requests).toHaveLength(2);
    clients.destroy();
  });

  it('turns a call that gets no answer into a timeout error', async () => {
    const aws = await fakeAws(() => {
      /* never answers */
    });
    const clients = new AwsClients({
      endpoint: aws.url,
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
      requestTimeoutMs: 200,
    });
    const started = Date.now();

    const err = await clients
      .ec2('eu-west-1')
      .send(new DescribeRouteTablesCommand({}))
      .catch((e: unknown) => e);

    expect(reasonOf(err)).toBe('the AWS call timed out');
    expect(Date.now() - started).toBeLessThan(2000);
    clients.destroy();
  });
});
