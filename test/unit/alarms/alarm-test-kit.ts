import { LogLevel, WebClient } from '@slack/web-api';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { Topology } from '../../../src/config/topology-schema.js';
import type { AlarmState } from '../../../src/domain/alarm-event.js';
import { SlackStandin } from '../../../src/local/slack-standin.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Chat } from '../../../src/ports/chat.js';
import type { Store } from '../../../src/ports/store.js';
import type { PublisherSettings } from '../../../src/services/alarms/alarm-publisher.js';
import { AlarmService } from '../../../src/services/alarms/alarm-service.js';
import { SlackChat } from '../../../src/slack/slack-chat.js';
import { alarmStatesShown, finalStateErrors } from '../../../src/slack/views/alarm-view.js';

/** A topology of `n` sites (site01..), all posting to one channel unless told otherwise. */
export function sitesTopology(n: number, channel = (_i: number) => 'C0ALARMS1'): Topology {
  const sites = Array.from({ length: n }, (_, i) => {
    const name = `site${String(i + 1).padStart(2, '0')}`;
    return `
  - name: ${name}
    region: us-east-1
    onPremCidrs: [10.${i}.0.0/16]
    routeTableIds: [rtb-0a1b2c3d4e5f6${String(i).padStart(4, '0')}]
    probeTargets: [{ kind: icmp, host: 10.${i}.0.10 }]
    tunnels:
      - { name: primary, ecs: { cluster: tunnelops-${name}, service: ${name}-primary }, instance: { instanceId: i-0abc12345def6${String(i).padStart(4, '0')} } }
      - { name: secondary, ecs: { cluster: tunnelops-${name}, service: ${name}-secondary }, instance: { instanceId: i-0abc12345def7${String(i).padStart(4, '0')} } }
    approvers: { users: [UAPPROVER1, UAPPROVER2] }
    slackChannel: ${channel(i)}`;
  });
  return parseTopology(`sites:${sites.join('')}`, 'test');
}

export interface Kit {
  standin: SlackStandin;
  store: Store;
  service: AlarmService;
  close(): Promise<void>;
}

export async function startKit(
  topology: Topology,
  o: {
    store?: Store;
    settings?: Partial<PublisherSettings>;
    standin?: SlackStandin;
    wrapChat?: (chat: Chat) => Chat;
    uploadGraph?: (channel: string, threadTs: string, site: string) => Promise<void>;
  } = {},
): Promise<Kit> {
  const standin = o.standin ?? new SlackStandin({ postsPerSecondPerChannel: 1 });
  if (!o.standin) await standin.start();
  const store = o.store ?? new SqliteStore({ path: ':memory:' });
  const slackChat = new SlackChat(
    new WebClient('xoxb-test', { slackApiUrl: standin.url, logLevel: LogLevel.ERROR }),
  );
  const service = new AlarmService({
    topology,
    store,
    chat: o.wrapChat ? o.wrapChat(slackChat) : slackChat,
    clock: { now: () => Date.now() },
    log: silentLogger(),
    ...(o.uploadGraph ? { uploadGraph: o.uploadGraph } : {}),
    publisher: { gatherMs: 30, updateIntervalMs: 50, retryMs: 200, ...o.settings },
  });
  await service.start();
  return {
    standin,
    store,
    service,
    close: async () => {
      await service.publisher.drain(10_000);
      service.stop();
      if (!o.standin) await standin.stop();
      if (!o.store) await store.close();
    },
  };
}

export async function waitFor(cond: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Alarms whose true state differs from what the stand-in's messages show. */
export const errorsAgainst = (standin: SlackStandin, truth: Map<string, AlarmState>): string[] =>
  finalStateErrors(truth, alarmStatesShown(standin.messages.values()));

export const topLevelPosts = (standin: SlackStandin) =>
  standin.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts);
export const threadReplies = (standin: SlackStandin) =>
  standin.callsTo('chat.postMessage').filter((c) => c.args.thread_ts);
