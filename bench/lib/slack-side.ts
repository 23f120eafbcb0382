/**
 * Slack's side of bench:slack, in its own process (as Slack is another machine): the Web API stand-in the
 * bot posts to, and the load generator that sends signed slash commands and button clicks.
 * Driven by bench/slack.ts over the fork IPC channel.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SlackCommandClient, slashCommandBody } from '../../src/local/slack-command-client.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { signSlackRequest } from '../../src/slack/request-signature.js';

export type Job =
  | { kind: 'status'; text: string; user: string }
  | { kind: 'click'; site: string; user: string };
export type ToSlackSide = {
  type: 'go';
  url: string;
  signingSecret: string;
  sites: string[];
  /** Run first, same shape as `jobs`, not measured: warms the JIT, the connection pool and every code path. */
  warmup: Job[];
  jobs: Job[];
  concurrency: number;
};
export type FromSlackSide =
  | { type: 'ready'; slackApiUrl: string }
  | {
      type: 'result';
      latencies: number[];
      errors: number;
      wallMs: number;
      requests: Record<string, string>;
      ephemerals: number;
    };

/** One keep-alive connection per concurrent sender, as Slack's own senders reuse theirs. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** A signed POST to /slack/events; resolves with the HTTP status once the whole response arrived. */
function signedPost(url: string, secret: string, body: string): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/slack/events`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signSlackRequest(secret, ts, body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Posted {
  id: string;
  channel: string;
  ts: string;
}

function clickPayload(r: Posted, user: string, responseUrl: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: r.ts, channel_id: r.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1234567890.bench`,
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    channel: { id: r.channel, name: 'tunnelops' },
    response_url: responseUrl,
    actions: [
      {
        action_id: 'approval_approve',
        block_id: `approval:${r.id}`,
        type: 'button',
        value: r.id,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** The request messages the bot posted, by site. */
function postedRequests(standin: SlackStandin): Map<string, Posted> {
  const out = new Map<string, Posted>();
  for (const m of standin.messages.values()) {
    const match = /Failover request (fo-[a-z0-9]{6}):.*fail over \*([a-z0-9-]+)\*/.exec(m.text);
    if (match) out.set(match[2]!, { id: match[1]!, channel: m.channel, ts: m.ts });
  }
  return out;
}

async function run(standin: SlackStandin, go: ToSlackSide): Promise<FromSlackSide> {
  const slack = new SlackCommandClient(go.url, go.signingSecret);
  await slack.open();
  try {
    // Setup, not measured: one failover request per site, then wait until the bot has posted them all.
    for (const site of go.sites) await slack.command(`failover ${site} "bench"`, 'UREQUESTER');
    const deadline = Date.now() + 10_000;
    let requests = postedRequests(standin);
    while (requests.size < go.sites.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      requests = postedRequests(standin);
    }
    if (requests.size < go.sites.length)
      throw new Error(`only ${requests.size}/${go.sites.length} requests were posted`);
    const runJobs = async (jobs: Job[]): Promise<{ latencies: number[]; errors: number; wallMs: number }> => {
      const latencies: number[] = [];
      let errors = 0;
      let next = 0;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          const t0 = performance.now();
          try {
            const body =
              job.kind === 'status'
                ? slashCommandBody({
                    text: job.text,
                    userId: job.user,
                    responseUrl: slack.responseUrl,
                    triggerTag: 'bench',
                  })
                : new URLSearchParams({
                    payload: JSON.stringify(
                      clickPayload(requests.get(job.site)!, job.user, slack.responseUrl),
                    ),
                  }).toString();
            if ((await signedPost(go.url, go.signingSecret, body)) !== 200) errors++;
          } catch {
            errors++;
          }
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: go.concurrency }, worker));
      return { latencies, errors, wallMs: performance.now() - started };
    };
    await runJobs(go.warmup);
    await new Promise((r) => setTimeout(r, 500)); // let the warm-up's approved runs finish
    const ephemeralsBefore = standin.callsTo('chat.postEphemeral').length;
    const { latencies, errors, wallMs } = await runJobs(go.jobs);
    // Give the bot a moment to send the refusals that follow the acks.
    await new Promise((r) => setTimeout(r, 500));
    return {
      type: 'result',
      latencies,
      errors,
      wallMs,
      requests: Object.fromEntries([...requests].map(([site, r]) => [site, r.id])),
      ephemerals: standin.callsTo('chat.postEphemeral').length - ephemeralsBefore,
    };
  } finally {
    await slack.close();
  }
}

async function main(): Promise<void> {
  const standin = new SlackStandin();
  const slackApiUrl = await standin.start();
  const send = (m: FromSlackSide) => process.send?.(m);
  process.on('message', (m: ToSlackSide | { type: 'stop' }) => {
    if (m.type === 'stop') {
      void standin.stop().then(() => process.exit(0));
      return;
    }
    run(standin, m).then(send, (err) => {
      console.error('slack side failed:', err);
      process.exit(1);
    });
  });
  send({ type: 'ready', slackApiUrl });
}

void main();
