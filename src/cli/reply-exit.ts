import type { SlackReply } from '../local/slack-command-client.js';
import { readReplyOutcome } from '../slack/commands/vpn-reply-outcome.js';
import { EXIT } from './vpn-args.js';

/** How a server older than the reply metadata marked a refusal or error: the reply's leading emoji. */
const OLD_SERVER_REFUSAL = /^\s*:(no_entry_sign|warning|x):/;

/**
 * The exit status for a `/vpn` reply: the outcome its metadata carries (ok exits 0; refused, failed or one
 * this CLI does not know exits 1). A reply with none of ours comes from an older server: then, as before,
 * a leading :no_entry_sign:, :warning: or :x: exits 1 and anything else 0.
 */
export function exitForReply(reply: SlackReply | undefined): number {
  const outcome = readReplyOutcome(reply?.metadata);
  if (outcome !== undefined) return outcome === 'ok' ? EXIT.ok : EXIT.refused;
  return OLD_SERVER_REFUSAL.test(reply?.text ?? '') ? EXIT.refused : EXIT.ok;
}
