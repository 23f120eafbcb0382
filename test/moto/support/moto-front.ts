import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MotoFront {
  /** http://127.0.0.1:<port>, for one process's AWS_ENDPOINT_URL. */
  endpoint: string;
  /** ReplaceRoute calls answered so far. */
  replaced: number;
  /** Resolves once no request is held or in flight (a dead client's calls already sent still land, as in EC2). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** DynamoDB calls that write: DynamoDB applies each atomically, moto's threads do not (see README). */
const DYNAMO_WRITE = /^DynamoDB_\d+\.(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/;

/**
 * A pass-through in front of moto (moto picks the service from a request's credential scope, not the host).
 * `serializeDynamoWrites`: DynamoDB writes are forwarded one at a time, because moto checks a conditional
 * write's condition and applies it without a lock, so two concurrent compare-and-sets can both succeed there
 * (never in DynamoDB); everything else (SQS long polls too) passes concurrently. `replaceRouteDelayMs`: every
 * EC2 ReplaceRoute is held that long first, so a run lasts long enough to kill its process in the middle;
 * `onReplaced` runs when each one's answer is back.
 */
export async function startMotoFront(
  motoEndpoint: string,
  opts: {
    serializeDynamoWrites?: boolean;
    replaceRouteDelayMs?: number;
    onReplaced?: (count: number) => void;
  },
): Promise<MotoFront> {
  const target = new URL(motoEndpoint);
  const state = { replaced: 0, inFlight: 0 };
  let writes: Promise<void> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.inFlight++;
      const body = Buffer.concat(chunks);
      const replace = body.includes('Action=ReplaceRoute');
      const dynamoWrite = DYNAMO_WRITE.test(String(req.headers['x-amz-target'] ?? ''));
      const forward = (done: () => void = () => undefined) => {
        const out = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          (answer) => {
            // Read whole, then answer: moto has applied the call whether or not its caller is still alive.
            const parts: Buffer[] = [];
            answer.on('data', (d: Buffer) => parts.push(d));
            answer.on('end', () => {
              state.inFlight--;
              done();
              if (!res.destroyed) {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                res.end(Buffer.concat(parts));
              }
              if (replace) opts.onReplaced?.(++state.replaced);
            });
          },
        );
        out.on('error', () => {
          state.inFlight--;
          done();
          res.destroy();
        });
        out.end(body);
      };
      if (replace && opts.replaceRouteDelayMs) setTimeout(forward, opts.replaceRouteDelayMs);
      else if (dynamoWrite && opts.serializeDynamoWrites)
        writes = writes.then(() => new Promise<void>((resolve) => forward(resolve)));
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get replaced() {
      return state.replaced;
    },
    settled: async () => {
      while (state.inFlight > 0) await new Promise((r) => setTimeout(r, 50));
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
