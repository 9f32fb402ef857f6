#!/usr/bin/env node
/**
 * CLI entry: `mallard-metrics serve [--config path]`.
 */
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';

async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.log_format, config.log_level);
  const app = await startApp(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: flushing events');
    app.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const command = process.argv[2] ?? 'serve';
if (command !== 'serve') {
  process.stderr.write(`unknown command "${command}"; usage: mallard-metrics serve [--config file]\n`);
  process.exit(2);
}
serve().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`mallard-metrics: ${err.message}\n`);
  else process.stderr.write(`mallard-metrics: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
