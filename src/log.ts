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
