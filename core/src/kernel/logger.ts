import { pino, type Logger } from 'pino';

/** The broker's structured logger (JSON lines on stdout; the CLI may pretty-print them). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino({ name: 'wharf', level }, destination) : pino({ name: 'wharf', level });
}

export type { Logger };
