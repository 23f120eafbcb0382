import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tcpLiveness } from '../../../src/net/tcp-liveness.js';
import { topologyInput } from '../../helpers/fakes/site.js';

/**
 * `npm run monitor` as a real process: probes a local TCP target, publishes to a local stand-in for the
 * CloudWatch and EventBridge APIs (AWS_ENDPOINT_URL, fake credentials), and on SIGTERM flushes the
 * metrics it buffered and exits 0.
 */
interface AwsCall {
  target: string;
  body: Record<string, unknown>;
  afterSigterm: boolean;
}

/** JSON (CloudWatch, EventBridge), or the query form of EC2 (the fast path's route reads), kept raw. */
function parseBody(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    return { query: text };
  }
}

describe('monitor process (npm run monitor)', () => {
  let target: Server;
  let aws: HttpServer;
  let awsPort = 0;
  let dir = '';
  const calls: AwsCall[] = [];
  let sigtermSent = false;
  /** How long the stand-in holds an EC2 call (the query form, no x-amz-target): a slow route read. */
  let ec2DelayMs = 0;

  beforeAll(async () => {
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    aws = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const amzTarget = String(req.headers['x-amz-target'] ?? '');
        calls.push({
          target: amzTarget,
          body: parseBody(raw.toString('utf8')),
          afterSigterm: sigtermSent,
        });
        const json = amzTarget.endsWith('PutEvents')
          ? { FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] }
          : {};
        setTimeout(
          () => {
            res.writeHead(200, {
              'content-type': amzTarget.startsWith('AWSEvents')
                ? 'application/x-amz-json-1.1'
                : 'application/x-amz-json-1.0',
            });
            res.end(JSON.stringify(json));
          },
          amzTarget ? 0 : ec2DelayMs,
        );
      });
    });
    await new Promise<void>((r) => aws.listen(0, '127.0.0.1', r));
    awsPort = (aws.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'tunnelops-monitor-'));
    const port = (target.address() as { port: number }).port;
    writeFileSync(
      join(dir, 'topology.json'),
      JSON.stringify(
        topologyInput({
          name: 'lab',
          probeTargets: [{ kind: 'tcp', host: '127.0.0.1', port }],
          failover: { fall: 2, rise: 2, probeIntervalSeconds: 0.1 },
        }),
      ),
    );
  });

  afterAll(async () => {
    await new Promise((r) => target.close(r));
    await new Promise((r) => aws.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** `npm run monitor` for lab/primary with AWS at the local stand-in (fast path on unless env says 0). */
  const startMonitor = (env: Record<string, string>, args: string[] = []) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/monitor/main.ts',
        '--site',
        'lab',
        '--tunnel',
        'primary',
        '--topology',
        join(dir, 'topology.json'),
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH,
          LOG_LEVEL: 'info',
          TUNNELOPS_DATA_DIR: dir,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST',
          AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
          AWS_ENDPOINT_URL: `http://127.0.0.1:${awsPort}`,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const collect = (d: Buffer) => {
      out += d.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const started = async (): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const line = out.split('\n').find((l) => l.includes('"monitor started"'));
        if (line) return JSON.parse(line) as Record<string, unknown>;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`monitor did not start:\n${out}`);
    };
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, started, exited, log: () => out };
  };

  it('publishes the health event, buffers metrics, and flushes them on SIGTERM before exiting 0', async () => {
    // This test is about metrics and events; the fast path (EC2 route reads) is the lab's to show.
    const m = startMonitor({ MONITOR_FAST_PATH: '0' }, ['--flush-seconds', '60']);
    const { child, exited } = m;
    const deadline = Date.now() + 20_000;
    while (!calls.some((c) => c.target === 'AWSEvents.PutEvents') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // a few more rounds into the buffer
    expect(calls.filter((c) => c.target.endsWith('PutMetricData'))).toEqual([]); // batched, not per probe
    sigtermSent = true;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const event = calls.find((c) => c.target === 'AWSEvents.PutEvents');
    const entry = (event!.body.Entries as Array<Record<string, string>>)[0]!;
    expect(entry).toMatchObject({ Source: 'tunnelops.monitor', DetailType: 'Tunnel Health Changed' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      site: 'lab',
      tunnel: 'primary',
      health: 'up',
      previous: 'unknown',
    });
    const puts = calls.filter((c) => c.target === 'GraniteServiceVersion20100801.PutMetricData');
    expect(puts.length).toBe(1);
    expect(puts[0]!.afterSigterm).toBe(true);
    const data = puts[0]!.body.MetricData as Array<{ MetricName: string; StorageResolution: number }>;
    expect(data.length).toBeGreaterThanOrEqual(6);
    expect(data.every((d) => d.StorageResolution === 1)).toBe(true);
    expect(m.log()).toMatch(/monitor stopping: handing over, flushing metrics/);
  }, 30_000);

  // The failure (lab 3 under CI load): the whole process group is signalled (the lab's stop does; so does an init
  // that forwards to the group), then the entrypoint's stop_all signals the monitor again. With a `once` listener
  // that second SIGTERM found none, and Node died of it mid-goodbye: the handover (the fast path) cut short.
  it('a second SIGTERM during its goodbye does not cut the handover short', async () => {
    ec2DelayMs = 2000; // the goodbye's fast-path evaluation waits on its route read
    try {
      const m = startMonitor({});
      expect((await m.started()).fastPath).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      m.child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!m.log().includes('monitor stopping') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      m.child.kill('SIGTERM');
      expect(await m.exited).toBe(0);
      expect(m.log()).toMatch(/"monitor stopped"/);
      // The goodbye's evaluation ran to its decision (routes unreadable here: the stand-in speaks no EC2).
      const stopping = m.log().indexOf('monitor stopping');
      expect(m.log().slice(stopping)).toMatch(/"trigger":"health-changed".*controller decided/);
    } finally {
      ec2DelayMs = 0;
    }
  }, 30_000);

  it('refuses to start without a site, saying how to fix it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/monitor/main.ts', '--tunnel', 'primary'], {
      env: { PATH: process.env.PATH, TUNNELOPS_DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/monitor cannot start: .*site: set --site or MONITOR_SITE/s);
  }, 30_000);

  it('holds a liveness listener at MONITOR_SELF_HOST: alive while it runs, refused (dead) once it is killed', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const m = startMonitor({ MONITOR_SELF_HOST: '127.0.0.1', MONITOR_LIVENESS_PORT: String(port) });
    const started = await m.started();
    expect(started.fastPath).toBe(true);
    const at = started.liveness as { host: string; port: number; instance: string };
    expect(at).toMatchObject({ host: '127.0.0.1', port, instance: expect.stringMatching(/^lab\/primary:/) });
    const client = tcpLiveness({ timeoutMs: 1000 });
    expect(await client.check(at)).toBe('alive');
    m.child.kill('SIGKILL');
    await m.exited;
    expect(await client.check(at)).toBe('dead');
  }, 30_000);

  it('still starts (and says so) when the liveness port is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '0.0.0.0', r));
    const port = (squatter.address() as { port: number }).port;
    try {
      const m = startMonitor({ MONITOR_SELF_HOST: '127.0.0.1', MONITOR_LIVENESS_PORT: String(port) });
      const started = await m.started();
      expect(started.fastPath).toBe(true);
      expect(started.liveness).toBeUndefined();
      expect(m.log()).toMatch(/could not open the liveness listener/);
      m.child.kill('SIGTERM');
      expect(await m.exited).toBe(0);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 30_000);
});
