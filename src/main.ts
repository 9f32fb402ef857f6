#!/usr/bin/env node
/**
 * CLI entry: `mallard-metrics serve | backup | restore | import | export | keys | users | demo`, each with
 * `[--config path]` (usage in cli/args.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { startApp } from './app.js';
import { CliError, USAGE } from './cli/args.js';
import { backupCommand, restoreCommand } from './cli/backup.js';
import { demoCommand } from './cli/demo.js';
import { exportCommand } from './cli/export.js';
import { keysCommand } from './cli/keys.js';
import { usersCommand } from './cli/users.js';
import { ConfigError, loadConfig } from './config.js';
import { DomainError, StartupError } from './errors.js';
import { importCommand } from './import-command.js';
import { createLogger } from './log.js';

async function serve(): Promise<void> {
  const config = loadConfig();
  // Read by the collector at each full collection, so setting it now covers the whole run.
  if (config.js_heap_growth_percent > 0) setFlagsFromString(`--heap-growing-percent=${config.js_heap_growth_percent}`);
  const log = createLogger(config.log_format, config.log_level);
  const app = await startApp(config, log, { newMetadata: process.argv.includes('--new-metadata') });
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

const COMMANDS = {
  backup: backupCommand,
  restore: restoreCommand,
  import: importCommand,
  export: exportCommand,
  keys: keysCommand,
  users: usersCommand,
  demo: demoCommand,
};

/** Runs a command other than `serve`: one line on stdout when done, one on stderr when not (exit 1, or 2 for usage). */
async function runCommand(command: keyof typeof COMMANDS): Promise<void> {
  try {
    const config = loadConfig();
    await COMMANDS[command](process.argv.slice(3), config);
    process.exit(0);
  } catch (err) {
    const known =
      err instanceof CliError || err instanceof ConfigError || err instanceof DomainError || err instanceof StartupError;
    const message = known
      ? (err as Error).message
      : `${command} failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
    process.stderr.write(`mallard-metrics: ${message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  }
}

const command = process.argv[2] ?? 'serve';
if (Object.hasOwn(COMMANDS, command)) {
  void runCommand(command as keyof typeof COMMANDS);
} else if (command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(USAGE);
} else if (command !== 'serve') {
  process.stderr.write(`mallard-metrics: unknown command "${command}"\n${USAGE}`);
  process.exit(2);
} else {
  serve().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof StartupError) process.stderr.write(`mallard-metrics: ${err.message}\n`);
    else process.stderr.write(`mallard-metrics: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
