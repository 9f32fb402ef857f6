/**
 * The logger. Nothing logged anywhere may carry an IP, a User-Agent or a user id; the
 * HTTP layer does not log requests for that reason.
 */
import pino, { type Logger } from 'pino';

/** `fd`: 1 (stdout) for the server; the CLI commands log to 2 (stderr), their answer goes to stdout. */
export function createLogger(format: 'json' | 'pretty', level: string, fd: 1 | 2 = 1): Logger {
  if (format === 'pretty') {
    const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: tty, destination: fd } } });
  }
  return fd === 1 ? pino({ level }) : pino({ level }, pino.destination(2));
}
