/**
 * Slack mrkdwn made plain for a terminal: emoji codes become symbols, *bold* is bold on a colour terminal and
 * plain elsewhere, _italic_ and ~strike~ lose their markers, and ISO timestamps read in the CLI's one date
 * format. Runs after `renderSlackMarkup` (links, names, dates, entities).
 */

/** Every emoji code the bot writes, as a symbol that reads without colour (the status page uses the same). */
export const EMOJI_SYMBOLS: Readonly<Record<string, string>> = {
  large_green_circle: '✓',
  large_yellow_circle: '!',
  red_circle: '✗',
  white_circle: '?',
  grey_question: '?',
  white_check_mark: '✓',
  x: '✗',
  warning: '⚠',
  no_entry: '⊘',
  no_entry_sign: '⊘',
  rotating_light: '‼',
  fire: '‼',
  alarm: '‼',
  thunder_cloud_and_rain: '‼',
  alarm_clock: '◷',
  hourglass: '⧗',
  hourglass_flowing_sand: '⧗',
  gear: '⚙',
  leftwards_arrow_with_hook: '↩',
  twisted_rightwards_arrows: '⇄',
  arrow_right: '→',
  rocket: '▶',
  raising_hand: '✋',
  memory: '✎',
  eyes: '◉',
};

/** On a colour terminal the health symbols keep Slack's colours (green, yellow, red). */
const COLOURS: Readonly<Record<string, number>> = {
  large_green_circle: 32,
  white_check_mark: 32,
  large_yellow_circle: 33,
  warning: 33,
  red_circle: 31,
  x: 31,
  rotating_light: 31,
  no_entry: 31,
  no_entry_sign: 31,
};

export interface TerminalStyle {
  /** ANSI bold and colours (a TTY without NO_COLOR). */
  ansi: boolean;
  /** One date format for every timestamp (the same as `renderSlackMarkup` uses for Slack's dates). */
  formatDate: (epochMs: number) => string;
}

const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})\b/g;
// A marker opens after a line start, a space or an opening bracket and closes before a space, punctuation
// or the line's end, as Slack reads it; "a*b" and snake_case are left alone.
const span = (m: string) =>
  new RegExp(`(^|[\\s(\\[•])\\${m}([^\\s${m}](?:[^${m}\\n]*[^\\s${m}])?)\\${m}(?=$|[\\s).,:;!?\\]])`, 'gm');
const BOLD = span('*');
const ITALIC = span('_');
const STRIKE = span('~');

export function terminalText(text: string, style: TerminalStyle): string {
  const sgr = (code: number, s: string, off: number) => (style.ansi ? `\x1b[${code}m${s}\x1b[${off}m` : s);
  return text
    .replace(/(^|[^\w:]):([a-z][a-z0-9_+-]*):(?![\w:])/g, (whole, before: string, code: string) => {
      const symbol = EMOJI_SYMBOLS[code];
      if (symbol === undefined) return whole;
      const colour = COLOURS[code];
      return before + (colour === undefined ? symbol : sgr(colour, symbol, 39));
    })
    .replace(BOLD, (_w, before: string, inner: string) => before + sgr(1, inner, 22))
    .replace(ITALIC, '$1$2')
    .replace(STRIKE, '$1$2')
    .replace(ISO, (iso) => {
      const ms = Date.parse(iso);
      return Number.isNaN(ms) ? iso : style.formatDate(ms);
    });
}
