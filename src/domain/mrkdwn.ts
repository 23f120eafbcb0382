/**
 * The one escape for text a person (or an outside system) wrote, before it goes into Slack mrkdwn or a
 * message's `text`: with `&`, `<`, `>` escaped Slack shows it literally, so `<!channel>` cannot ping and
 * `<https://x|click>` cannot disguise a link. Our own markup (mentions, dates) is added after escaping.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The inverse, for reading back what a message shows (tests, the alarm bench). */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
