/**
 * The logger. Nothing logged anywhere may carry an IP, a User-Agent or a user id; the
 * HTTP layer does not log requests for that reason.
 */
import pino, { type Logger } from 'pino';

export function createLogger(format: 'json' | 'pretty', level: string): Logger {
  if (format === 'pretty') {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY } } });
  }
  return pino({ level });
}
