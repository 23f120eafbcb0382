import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Site } from '../../config/topology-schema.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import { siteOfRecord } from '../../ports/site-records.js';
import type { Store } from '../../ports/store.js';
import { FleetEventNotices, type SiteNotice } from './fleet-event-notices.js';

/** The slice of ApprovalService the controller uses in propose mode. */
export interface FailoverProposer {
  request(input: {
    action: 'failover';
    site: string;
    requester: string;
    to?: string;
    reason?: string;
    evidence?: string[];
  }): Promise<{ ok: true; created: boolean; request: { id: string } } | { ok: false; reason: string }>;
}

/**
 * What a failover controller tells people: a failover's result, an alert, or a failover to propose. A
 * controller with the Slack token posts it itself (the lab); a server host holds no token (issue 22), nor does
 * the backstop Lambda: its fast path (or the Lambda) leaves the report in its site's outbox, a store namespace
 * kept per site that IAM lets a host write only for its own site, and the bot posts it (OutboxRelay). A report is data, not text: the
 * bot renders it, so a compromised server can say only these things, about its own site, in its own channel.
 */
export type ControllerReport = z.infer<typeof reportSchema>;

/** Store namespace (kept per site, src/ports/site-records.ts); key `<site>/<time>-<random>`. */
export const OUTBOX_NS = 'outbox';
/** An undelivered report is kept this long (the bot down for a day still posts it when back). */
const OUTBOX_TTL_MS = 24 * 3600_000;

const text = (max: number) => z.string().max(max);
const count = z.number().int().min(0).max(1_000_000);
const resultSchema = z.union([
  z.object({
    ok: z.literal(true),
    from: text(32).nullable(),
    to: text(32),
    changed: count,
    durationMs: count,
  }),
  z.object({
    ok: z.literal(false),
    refused: z.boolean(),
    reason: text(2000),
    changed: count,
    rolledBack: count,
    durationMs: count,
  }),
]);
const reportSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('failover'), to: text(32), reason: text(2000), result: resultSchema }),
  z.object({
    kind: z.literal('alert'),
    /** The decision's code (domain/failover-policy.ts); only 'both-down' changes how it shows. */
    code: z.string().regex(/^[a-z-]{1,40}$/),
    reason: text(2000),
    extra: text(2000).optional(),
  }),
  z.object({
    kind: z.literal('proposal'),
    to: text(32),
    reason: text(2000),
    evidence: z.array(text(500)).max(10),
    requester: text(200),
  }),
]);
const envelopeSchema = z.object({ report: reportSchema, claimedUntil: z.number().optional() });
type Envelope = z.infer<typeof envelopeSchema>;

/** Where a controller's failover and alert reports go. */
export interface ReportSink {
  report(site: Site, r: Exclude<ControllerReport, { kind: 'proposal' }>): Promise<void>;
}

/** Straight to the site's channel, one message a report (a controller with the token and no outbox: tests). */
export const chatReports = (chat: Chat): ReportSink => ({
  report: async (site, r) => {
    await chat.post(site.slackChannel, chat.render.controllerNotice({ site: site.name, notice: r }));
  },
});

/** Into the site's outbox, for the bot to post (a server host: no token). Also proposes failovers that way. */
export class ReportOutbox implements ReportSink, FailoverProposer {
  constructor(private readonly props: { store: Store; clock: Clock }) {}

  private async put(site: string, report: ControllerReport): Promise<string> {
    const key = `${site}/${new Date(this.props.clock.now()).toISOString()}-${randomBytes(4).toString('hex')}`;
    const envelope: Envelope = { report: reportSchema.parse(report) };
    if (!(await this.props.store.create(OUTBOX_NS, key, envelope, OUTBOX_TTL_MS)))
      throw new Error(`outbox: ${key} exists`);
    return key;
  }

  async report(site: Site, r: Exclude<ControllerReport, { kind: 'proposal' }>): Promise<void> {
    await this.put(site.name, r);
  }

  async request(input: Parameters<FailoverProposer['request']>[0]) {
    const key = await this.put(input.site, {
      kind: 'proposal',
      to: input.to ?? '',
      reason: input.reason ?? '',
      evidence: input.evidence ?? [],
      requester: input.requester,
    });
    // The approval request itself is made by the bot; the key stands for it until then.
    return { ok: true as const, created: true, request: { id: key } };
  }
}

/** Every this many passes the relay reads each site's outbox on its own (see drain). */
const FULL_READ_EVERY = 30;

/** How long a relay owns a report it is posting; another relay (a second bot replica) takes it after that. */
const CLAIM_MS = 30_000;

/**
 * The bot's side: posts what the sites' outboxes hold, each report once (claimed by compare-and-set, deleted
 * after it was posted; a relay that dies half-way leaves it to be posted again after CLAIM_MS, never lost).
 * A report that does not parse, or names a tunnel the site does not have, is dropped and logged, not shown.
 */
export class OutboxRelay {
  constructor(
    private readonly props: {
      store: Store;
      sites: readonly Site[];
      chat: Chat;
      /** Makes the approval request of a proposal (the bot's approval service); without it, shown as an alert. */
      approvals?: FailoverProposer;
      clock: Clock;
      log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
    },
  ) {
    this.events = new FleetEventNotices({ store: props.store, chat: props.chat, clock: props.clock });
  }

  private passes = 0;
  private readonly events: FleetEventNotices;

  /**
   * One pass over every site's outbox; returns how many reports it delivered. One read for the fleet
   * (listAllSites), and every FULL_READ_EVERY passes one per site: a report written by a host still running a
   * version without the fleet index (an upgrade in progress) is found that way too.
   */
  async drain(): Promise<number> {
    const { store, sites } = this.props;
    const full = this.passes++ % FULL_READ_EVERY === 0;
    const records = full
      ? (await Promise.all(sites.map((s) => store.list<unknown>(OUTBOX_NS, { site: s.name })))).flat()
      : await store.listAllSites<unknown>(OUTBOX_NS);
    const byName = new Map(sites.map((s) => [s.name, s]));
    let delivered = 0;
    const notices: Array<SiteNotice & { key: string; version: number }> = [];
    for (const rec of records) {
      const site = byName.get(siteOfRecord(OUTBOX_NS, rec.key) ?? '');
      const out = site ? await this.deliver(site, rec.key, rec.value, rec.version) : false;
      if (out === true) delivered++;
      else if (out) notices.push(out);
    }
    // Failover and alert reports: grouped by event (one message per AZ outage, not one per site).
    try {
      await this.events.retry();
      if (notices.length) await this.events.add(notices);
    } catch (err) {
      // Left claimed: taken again once the claim runs out (an event it already joined shows it twice at worst).
      this.props.log.error({ err }, 'outbox: could not post the event notices; retrying after the claim');
      return delivered;
    }
    for (const n of notices) await store.delete(OUTBOX_NS, n.key, n.version);
    return delivered + notices.length;
  }

  /**
   * Claims a report and acts on it: a proposal becomes an approval request (true once done); a failover or
   * alert report is returned, claimed, for drain to group into its event; false when not ours to deliver.
   */
  private async deliver(
    site: Site,
    key: string,
    raw: unknown,
    version: number,
  ): Promise<boolean | (SiteNotice & { key: string; version: number })> {
    const envelope = envelopeOf(site, raw);
    if (!envelope) {
      this.props.log.warn(
        { site: site.name, key },
        'outbox: dropped a report that is not one (malformed or foreign tunnel)',
      );
      await this.props.store.delete(OUTBOX_NS, key, version);
      return false;
    }
    if (!(await this.claim(key, version, envelope))) return false;
    const r = envelope.report;
    if (r.kind !== 'proposal' || !this.props.approvals) {
      const notice =
        r.kind === 'proposal' ? ({ kind: 'alert', code: 'propose', reason: r.reason } as const) : r;
      return { site, notice, key, version: version + 1 };
    }
    if (!(await this.propose(site, key, r, this.props.approvals))) return false;
    await this.props.store.delete(OUTBOX_NS, key, version + 1);
    return true;
  }

  /** Takes the report for CLAIM_MS by compare-and-set; false when another relay holds it or took it first. */
  private async claim(key: string, version: number, envelope: Envelope): Promise<boolean> {
    const now = this.props.clock.now();
    if ((envelope.claimedUntil ?? 0) > now) return false;
    const claimed: Envelope = { report: envelope.report, claimedUntil: now + CLAIM_MS };
    return this.props.store.compareAndSet(OUTBOX_NS, key, version, claimed, OUTBOX_TTL_MS);
  }

  /**
   * Makes a proposal's approval request; a refused request is posted as an alert saying why. False when the
   * request or the post failed (left claimed: posted again once the claim runs out).
   */
  private async propose(
    site: Site,
    key: string,
    r: Extract<ControllerReport, { kind: 'proposal' }>,
    approvals: FailoverProposer,
  ): Promise<boolean> {
    const { chat } = this.props;
    try {
      const res = await approvals.request({
        action: 'failover',
        site: site.name,
        requester: r.requester,
        to: r.to,
        reason: r.reason,
        evidence: r.evidence,
      });
      if (!res.ok) {
        const extra = `Could not ask for approval: ${res.reason}`;
        const notice = { kind: 'alert', code: 'propose', reason: r.reason, extra } as const;
        await chat.post(site.slackChannel, chat.render.controllerNotice({ site: site.name, notice }));
      }
      return true;
    } catch (err) {
      this.props.log.error(
        { err, site: site.name, key },
        'outbox: could not post a report; retrying after the claim',
      );
      return false;
    }
  }
}

/** The envelope when it parses and names only the site's own tunnels; undefined for anything else. */
function envelopeOf(site: Site, raw: unknown): Envelope | undefined {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const r = parsed.data.report;
  const tunnels = site.tunnels.map((t) => t.name);
  const named =
    r.kind !== 'alert'
      ? [r.to, ...(r.kind === 'failover' && r.result.ok ? [r.result.to, r.result.from] : [])]
      : [];
  return named.some((t) => t !== null && !tunnels.includes(t)) ? undefined : parsed.data;
}
