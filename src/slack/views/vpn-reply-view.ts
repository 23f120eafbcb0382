import { escapeMrkdwn as esc } from '../../domain/mrkdwn.js';

/* The `/vpn` command's own replies (ephemeral) before any handler runs; a handler's failure: failure-view. */

/** A command that does not parse: the parser's words quote what was typed, so they are escaped. */
export const parseErrorReply = (error: string): string => `:warning: ${esc(error)}`;

export const notEnabledReply = (kind: string): string =>
  `\`/vpn ${kind}\` is not enabled on this deployment.`;
