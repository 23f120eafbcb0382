import { pino } from 'pino';
import { textDestination } from './log-text.js';

export type Logger = pino.Logger;

/** `json` for machines; `text` for a person at a terminal; `auto`: text when stdout is a terminal. */
export type LogFormat = 'auto' | 'text' | 'json';

export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'text' | 'json' {
  return format === 'auto' ? (isTTY ? 'text' : 'json') : format;
}

/** The one structured logger; request handlers take child loggers from it. */
export function createLogger(level = 'info', format: LogFormat = 'auto'): Logger {
  const options = {
    level,
    base: { app: 'tunnelops' },
    redact: ['*.token', '*.secret', 'headers.authorization'],
  };
  if (resolveLogFormat(format, Boolean(process.stdout.isTTY)) === 'json') return pino(options);
  return pino(options, textDestination(process.stdout, !process.env.NO_COLOR));
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

let errorSeq = 0;

/**
 * Logs an unexpected failure with a short id and returns that id, so the reply a person sees can say what
 * went wrong in their terms and name the id an operator finds the details (stack, upstream text) under.
 */
export function logFailure(
  log: Logger,
  err: unknown,
  what: string,
  fields: Record<string, unknown> = {},
): string {
  const errorId = `e${Date.now().toString(36)}${(++errorSeq).toString(36)}`;
  log.error({ ...fields, err, errorId }, what);
  return errorId;
}
