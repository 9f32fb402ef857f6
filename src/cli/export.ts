/**
 * `export --site <id> …`: a site's daily numbers or raw events for a period, asked of the
 * running server's `GET /api/stats/export` (docs/API.md, "Export") with an admin credential,
 * written to `--out` or stdout as the server sends them. The route checks every parameter.
 */
import { createWriteStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { CliError, parseArgs, usageError } from './args.js';
import { asAdmin, serverFor } from './server.js';

export async function exportCommand(argv: readonly string[], config: Config): Promise<void> {
  const options = ['--site', '--period', '--from', '--to', '--kind', '--format', '--out'];
  const { positional, values } = parseArgs(argv, false, options);
  if (positional.length > 0) throw usageError(`export: unexpected ${positional.join(' ')}`);
  const site = values.get('--site');
  if (site === undefined) throw usageError('export needs --site <id>');
  const params = new URLSearchParams({ site_id: site });
  const from = values.get('--from');
  const to = values.get('--to');
  if (from !== undefined || to !== undefined) {
    if (from === undefined || to === undefined) throw usageError('export: --from and --to go together');
    params.set('start_date', from);
    params.set('end_date', to);
  } else {
    params.set('period', values.get('--period') ?? '30d');
  }
  for (const [option, param] of [
    ['--kind', 'kind'],
    ['--format', 'format'],
  ] as const) {
    const v = values.get(option);
    if (v !== undefined) params.set(param, v);
  }
  const url = await serverFor(config, 'export');
  const out = values.get('--out');
  const bytes = await asAdmin(url, config, 'export', (auth) =>
    download(`${url}/api/stats/export?${params}`, auth, out === undefined ? undefined : resolve(out)),
  );
  if (out !== undefined) process.stderr.write(`export written to ${resolve(out)}: ${bytes} bytes\n`);
}

/** Streams the answer to the file (or stdout); a refusal becomes the command's error, and no file. */
function download(url: string, headers: Record<string, string>, file: string | undefined): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let message = `HTTP ${res.statusCode}`;
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? message;
          } catch {
            // not JSON
          }
          reject(new CliError(`the export failed: ${message}`));
        });
        return;
      }
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      pipeline(res, file === undefined ? process.stdout : createWriteStream(file)).then(() => resolvePromise(bytes), reject);
    });
    req.on('error', reject);
    req.end();
  });
}
