import { pino } from 'pino';

export type Logger = pino.Logger;

/** The one structured logger; request handlers take child loggers from it. */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: { app: 'tunnelops' },
    redact: ['*.token', '*.secret', 'headers.authorization'],
  });
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
