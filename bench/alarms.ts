/**
 * bench:alarms — 1000 signed SNS notifications for 200 alarms over 50 sites, flapping for 10 s, all in one
 * channel, through POST /sns (verify + dedupe + persist in SQLite) into a local Slack stand-in that allows
 * 1 post/s per channel (429 + Retry-After beyond). Prints a summary, then one JSON line.
 * Wrong outcomes: refused notifications, final states Slack does not show. Goals: Slack shows every final
 * state within 5 s of the last notification, with no HTTP 429.
 * Short form (BENCH_SMOKE=1): 10 sites (40 alarms, 200 notifications) flapping for 4 s.
 */

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LogLevel, WebClient } from '@slack/web-api';
import { parseTopology } from '../src/config/load-topology.js';
import type { AlarmState } from '../src/domain/alarm-event.js';
import { HttpServer } from '../src/http/server.js';
import { SqliteStore } from '../src/local/sqlite-store.js';
import { silentLogger } from '../src/log.js';
import { AlarmService } from '../src/services/alarms/alarm-service.js';
import { SlackChat } from '../src/slack/slack-chat.js';
import { alarmStatesShown, finalStateErrors } from '../src/slack/views/alarm-view.js';
import { SigningCertCache } from '../src/sns/signing-cert-cache.js';
import { createSnsEndpoint } from '../src/sns/sns-endpoint.js';
import { snsHeaderCheck } from '../src/sns/sns-headers.js';
import { SnsVerifier } from '../src/sns/sns-verifier.js';
import { cloudWatchAlarm, makeTestPki, signedNotification, TOPIC_ARN } from '../test/unit/sns/sns-pki.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';

const SITES = benchSize(50, 10);
const ALARMS_PER_SITE = 4;
const PER_ALARM = 5;
const FLAP_SECONDS = benchSize(10, 4);
const CHANNEL = 'C0BENCH01';
const CONCURRENCY = 32;
const WARMUP = benchSize(200, 50);

function benchTopology() {
  const sites = Array.from({ length: SITES }, (_, i) => {
    const name = `site${String(i + 1).padStart(2, '0')}`;
    const hex = (n: number) => n.toString(16).padStart(4, '0');
    return `
  - name: ${name}
    region: us-east-1
    onPremCidrs: [10.${i}.0.0/16]
    routeTableIds: [rtb-0a1b2c3d4e5f6${hex(i)}]
    probeTargets: [{ kind: icmp, host: 10.${i}.0.10 }]
    tunnels:
      - { name: primary, ecs: { cluster: tunnelops-${name}, service: ${name}-primary }, instance: { instanceId: i-0abc12345def6${hex(i)} } }
      - { name: secondary, ecs: { cluster: tunnelops-${name}, service: ${name}-secondary }, instance: { instanceId: i-0abc12345def7${hex(i)} } }
    approvers: { users: [UAPPROVER1, UAPPROVER2] }
    slackChannel: ${CHANNEL}`;
  });
  return parseTopology(`sites:${sites.join('')}`, 'bench');
}

/** Deterministic pseudo-random numbers, so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Planned {
  tick: number;
  alarm: string;
  state: AlarmState;
  at: number;
}

function plan(
  random: () => number,
  start: number,
): { events: Planned[]; truth: Map<string, AlarmState>; alarms: string[] } {
  const alarms: string[] = [];
  for (let s = 1; s <= SITES; s++) {
    for (const name of ['primary-down', 'secondary-down', 'primary-loss', 'secondary-loss'].slice(
      0,
      ALARMS_PER_SITE,
    )) {
      alarms.push(`tunnelops-site${String(s).padStart(2, '0')}-${name}`);
    }
  }
  const events: Planned[] = [];
  const truth = new Map<string, AlarmState>();
  const slot = (FLAP_SECONDS * 1000) / PER_ALARM;
  for (const alarm of alarms) {
    let state: AlarmState = random() < 0.5 ? 'ALARM' : 'OK';
    for (let k = 0; k < PER_ALARM; k++) {
      const offset = k * slot + Math.floor(random() * slot);
      // SNS does not order deliveries: one in ten arrives a second late.
      const tick = Math.min(FLAP_SECONDS - 1, Math.floor(offset / 1000) + (random() < 0.1 ? 1 : 0));
      events.push({ tick, alarm, state, at: start + offset });
      truth.set(alarm, state);
      state = state === 'ALARM' ? (random() < 0.8 ? 'OK' : 'INSUFFICIENT_DATA') : 'ALARM';
    }
  }
  return { events, truth, alarms };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The sender (SNS's side) runs in a worker thread with plain node:http keep-alive connections, so the
 * main thread's time is the bot's: receive + verify + dedupe + persist.
 */
const SENDER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: ${CONCURRENCY} });
function post(url, body) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': ${JSON.stringify(TOPIC_ARN)}, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
parentPort.on('message', async ({ url, bodies }) => {
  let next = 0, ok = 0, failed = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const status = await post(url, bodies[next++]);
      if (status === 200) ok++; else failed++;
    }
  };
  await Promise.all(Array.from({ length: ${CONCURRENCY} }, worker));
  parentPort.postMessage({ ok, failed, ms: performance.now() - t0 });
});
`;

/**
 * The local Slack API stand-in runs in a child process: Slack is somebody else's computer, and its work
 * (parsing and storing 30 KB storm messages) is not the bot's.
 */
interface StandinSnapshot {
  messages: Array<{ text: string; blocks?: unknown }>;
  posts: number;
  threadReplies: number;
  updates: number;
  http429: number;
}

async function standinChild(): Promise<void> {
  const { SlackStandin } = await import('../src/local/slack-standin.js');
  const standin = new SlackStandin({ postsPerSecondPerChannel: 1 });
  const url = await standin.start();
  process.on('message', async (cmd: string) => {
    if (cmd === 'snapshot') {
      const posts = standin.callsTo('chat.postMessage');
      const snap: StandinSnapshot = {
        messages: [...standin.messages.values()].map((m) => ({ text: m.text, blocks: m.blocks })),
        posts: posts.length,
        threadReplies: posts.filter((c) => c.args.thread_ts).length,
        updates: standin.callsTo('chat.update').length,
        http429: standin.http429,
      };
      process.send?.(snap);
    } else if (cmd === 'stop') {
      await standin.stop();
      process.exit(0);
    }
  });
  process.send?.({ url });
}

async function startStandin(): Promise<{
  url: string;
  snapshot(): Promise<StandinSnapshot>;
  stop(): Promise<void>;
}> {
  const child = fork(fileURLToPath(import.meta.url), ['--standin'], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const { url } = await next<{ url: string }>();
  return {
    url,
    snapshot: () => {
      const reply = next<StandinSnapshot>();
      child.send('snapshot');
      return reply;
    },
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

function startSender(): {
  send(url: string, bodies: string[]): Promise<{ ok: number; failed: number; ms: number }>;
  stop(): Promise<number>;
} {
  const worker = new Worker(SENDER, { eval: true });
  return {
    send: (url, bodies) =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage({ url, bodies });
      }),
    stop: () => worker.terminate(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-bench-alarms-'));
  const pki = makeTestPki();
  const random = rng(20260301);
  const topology = benchTopology();
  const log = silentLogger();
  const store = new SqliteStore({ path: join(dir, 'bench.sqlite') });
  const standin = await startStandin();
  const chat = new SlackChat(
    new WebClient('xoxb-bench', { slackApiUrl: standin.url, logLevel: LogLevel.ERROR }),
  );
  const clock = { now: () => Date.now() };
  const alarms = new AlarmService({ topology, store, chat, clock, log });
  await alarms.start();
  const certs = new SigningCertCache({ fetchPem: async () => pki.certPem, clock });
  const verifier = new SnsVerifier({ allowedTopics: new Set([TOPIC_ARN]), certs, clock });
  const http = new HttpServer(log);
  http.route('POST', '/sns', createSnsEndpoint({ verifier, sink: alarms }), {
    auth: snsHeaderCheck(new Set([TOPIC_ARN])),
  });
  const address = await http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}/sns`;

  const start = Date.now();
  const { events, truth } = plan(random, start - 60_000);
  const byTick = Array.from({ length: FLAP_SECONDS }, (_, t) =>
    shuffle(
      events.filter((e) => e.tick === t),
      random,
    ),
  );
  // Sign everything first: signing is SNS's work, not ours.
  const signed = byTick.map((list) =>
    list.map((e) =>
      JSON.stringify(
        signedNotification(pki, {
          message: cloudWatchAlarm({ name: e.alarm, state: e.state, time: new Date(e.at).toISOString() }),
          subject: `${e.state}: "${e.alarm}" in US East (N. Virginia)`,
          version: random() < 0.5 ? '1' : '2',
        }),
      ),
    ),
  );

  const sender = startSender();
  // Warm-up (not counted): signed notifications that are not alarms open the connections and warm the
  // code paths (HTTP, verify, dedupe); they change no alarm and make no Slack call.
  const warmup = Array.from({ length: WARMUP }, (_, i) =>
    JSON.stringify(signedNotification(pki, { message: `warm-up ${i}`, version: i % 2 ? '1' : '2' })),
  );
  const warm = await sender.send(url, warmup);
  let busyMs = 0;
  const tickMs: number[] = [];
  let accepted = 0;
  let rejected = 0;
  const flapStart = Date.now();
  for (let t = 0; t < FLAP_SECONDS; t++) {
    const due = flapStart + t * 1000;
    if (Date.now() < due) await sleep(due - Date.now());
    const r = await sender.send(url, signed[t]!);
    busyMs += r.ms;
    tickMs.push(Math.round(r.ms));
    accepted += r.ok;
    rejected += r.failed;
  }
  const sentAt = Date.now();
  const errorsIn = (snap: StandinSnapshot) => finalStateErrors(truth, alarmStatesShown(snap.messages));
  let drainedAt: number | null = null;
  while (Date.now() - sentAt < 120_000) {
    if (errorsIn(await standin.snapshot()).length === 0) {
      drainedAt = Date.now();
      break;
    }
    await sleep(50);
  }
  // Let anything still in flight land, then check again: Slack must still show the final states.
  await alarms.publisher.drain(30_000);
  await sleep(500);
  const snap = await standin.snapshot();
  const finalErrors = errorsIn(snap);

  const notifications = events.length;
  const ingestPerS = Math.round(notifications / (busyMs / 1000));
  const drainS = drainedAt === null ? -1 : Math.round((drainedAt - sentAt) / 100) / 10;
  const storm = snap.messages.find((m) => m.text.startsWith('Alarm storm'));
  console.log('bench:alarms');
  console.log(`  topology           ${SITES} sites, ${truth.size} alarms, one channel (${CHANNEL})`);
  console.log(
    `  notifications      ${notifications} signed (v1+v2) over ${FLAP_SECONDS} s; ${accepted} accepted, ${rejected} refused`,
  );
  console.log(
    `  ingest             ${ingestPerS}/s while receiving (HTTP + verify + dedupe + persist, ${CONCURRENCY} connections)`,
  );
  console.log(`  warm-up            ${warm.ok}/${WARMUP} non-alarm notifications first (not counted)`);
  console.log(`  per second         ${tickMs.join(' ')} ms to take each second's notifications`);
  console.log(`  certificate        fetched ${certs.fetches} time(s)`);
  console.log(
    `  slack              ${snap.posts} posts (${snap.threadReplies} thread replies), ${snap.updates} updates, ${snap.http429} HTTP 429`,
  );
  console.log(`  storm summary      ${storm ? storm.text : 'none'}`);
  console.log(`  drain              Slack showed every final state ${drainS} s after the last notification`);
  console.log(
    `  final state errors ${finalErrors.length}${finalErrors.length ? ` (${finalErrors.slice(0, 5).join(', ')})` : ''}`,
  );

  await sender.stop();
  alarms.stop();
  await http.close();
  await standin.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  finishBench(
    'alarms',
    {
      notifications,
      alarms: truth.size,
      slack_posts: snap.posts,
      slack_updates: snap.updates,
      http_429: snap.http429,
      final_state_errors: finalErrors.length,
      ingest_per_s: ingestPerS,
      drain_s: drainS,
    },
    {
      wrong: rejected + finalErrors.length,
      goals: [
        { what: 'every final state shown within 5 s', met: drainS >= 0 && drainS <= 5 },
        { what: 'no HTTP 429 from Slack', met: snap.http429 === 0 },
      ],
    },
  );
}

if (process.argv.includes('--standin'))
  standinChild().catch((err) => {
    console.error(err);
    process.exit(1);
  });
else runBench('alarms', main);
