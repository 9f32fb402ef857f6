/**
 * What every command shares: the usage text, the error that ends a command (exit 1, or 2
 * for wrong usage) and the argument parser.
 */

export const USAGE = `usage: mallard-metrics <command> [--config file]
  serve [--new-metadata]   run the server (the default command); --new-metadata starts without
                           mallard.duckdb (sites, keys, settings) when it is missing but events exist
  backup <dir>             copy the events, visits and rollups, sites, keys and settings to <dir>
                           (absolute or relative to here; new or empty; not in the data directory)
                           while the server runs (it is asked over HTTP with MALLARD_API_KEY, an
                           admin key, or MALLARD_ADMIN_PASSWORD), or from the data directory when
                           no server runs
  restore <dir> [--force]  copy a backup into the data directory; the server must be stopped, and
                           --force replaces data already there (all of it, unflushed events too)
  import <file> --site <id>
                           store the events of <file> (.ndjson, .jsonl, either .gz; .csv; .parquet;
                           docs/IMPORT.md) for site <id>, with the server stopped; an interrupted
                           import goes on where it stopped when run again, and a finished one is
                           not imported twice; a Plausible export (.zip, or --format plausible) is
                           stored as the site's imported data, all of it or nothing
  export --site <id> [--period 30d | --from YYYY-MM-DD --to YYYY-MM-DD] [--kind aggregates|events]
         [--format csv|json|parquet] [--out file]
                           write the site's daily numbers or raw events of the period (default: the
                           last 30 days' daily numbers as CSV) to <file> or stdout, asked of the
                           running server (docs/API.md, "Export") with an admin credential as backup
  keys list | keys create <name> --scope read|ingest|admin [--sites a.com,b.com] | keys revoke <id>
                           list, create (the key is printed once) or revoke API keys, through the
                           running server with an admin credential (as backup)
  users list | users create <email> | users remove <id>
                           list, create (the password is read from standard input) or remove
                           dashboard users, through the running server as the super-admin
  demo | demo remove       load the demo site demo.example (a month of generated traffic, marked as
                           demo data; refused when it is already there) or remove it with all its
                           events, through the running server as the super-admin
`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usageError = (m: string) => new CliError(`${m}\n${USAGE}`, 2);

/**
 * The command's arguments after its name: positional ones, `--force` where allowed, and the
 * value of each option in `valued` (e.g. `--site example.com`). `--config <file>` is read by
 * the configuration and skipped here.
 */
export function parseArgs(
  argv: readonly string[],
  allowForce: boolean,
  valued: readonly string[] = [],
): { positional: string[]; force: boolean; values: Map<string, string> } {
  const positional: string[] = [];
  const values = new Map<string, string>();
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--config') {
      if (argv[++i] === undefined) throw usageError('--config needs a file');
    } else if (a === '--force' && allowForce) {
      force = true;
    } else if (valued.includes(a)) {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      values.set(a, v);
    } else if (a.startsWith('--')) {
      throw usageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  return { positional, force, values };
}
