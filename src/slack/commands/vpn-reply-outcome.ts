import type { Refusal as DecisionRefusal } from '../../domain/approval.js';
import type { RefusalCode } from '../../domain/refusal.js';

/*
 * What a `/vpn` reply means for a program, sent beside the text for people as Slack message metadata
 * (`metadata: { event_type, event_payload }`, the field chat.postMessage takes; response_url replies take it
 * too, bolt-js#1819). A client (the `vpn` CLI) decides on this, never on the reply's wording or emoji.
 */

/** The metadata's event_type on every `/vpn` reply. */
export const VPN_REPLY_EVENT = 'tunnelops_vpn_reply';

/** Why a reply refused: the domain's refusal codes, or a command the bot could not read. */
export type ReplyCode = RefusalCode | DecisionRefusal['code'] | 'bad-command';

export type ReplyOutcome =
  | { outcome: 'ok' }
  | { outcome: 'refused'; code: ReplyCode }
  | { outcome: 'failed'; errorId: string };

export const OK: ReplyOutcome = { outcome: 'ok' };
export const refusedWith = (code: ReplyCode): ReplyOutcome => ({ outcome: 'refused', code });

export function replyMetadata(o: ReplyOutcome): {
  event_type: string;
  event_payload: Record<string, string>;
} {
  const payload: Record<string, string> = { outcome: o.outcome };
  if (o.outcome === 'refused') payload.code = o.code;
  if (o.outcome === 'failed') payload.error_id = o.errorId;
  return { event_type: VPN_REPLY_EVENT, event_payload: payload };
}

/**
 * The outcome a reply's metadata carries: 'ok', another outcome (a newer server's too), 'malformed' when ours
 * has none, or undefined when it carries none of ours (a server older than this metadata, or another app's).
 */
export function readReplyOutcome(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const m = metadata as { event_type?: unknown; event_payload?: { outcome?: unknown } | null };
  if (m.event_type !== VPN_REPLY_EVENT) return undefined;
  const outcome = m.event_payload?.outcome;
  return typeof outcome === 'string' ? outcome : 'malformed';
}
