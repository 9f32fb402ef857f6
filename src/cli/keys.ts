/**
 * `keys list | create <name> --scope … [--sites …] | revoke <id>`: API keys, managed through
 * the running server's own routes (docs/API.md, "Auth and keys") with an admin credential
 * (server.ts `asAdmin`), so the server's rules and answers are the command's. A created key
 * is printed once, as the route returns it once.
 */
import type { Config } from '../config.js';
import { CliError, parseArgs, usageError } from './args.js';
import { asAdmin, call, errorOf, serverFor } from './server.js';

interface KeyInfo {
  id: string;
  name: string;
  scope: string;
  sites: string[] | null;
  created_at: string;
  last_used_at: string | null;
}

export async function keysCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional, values } = parseArgs(argv, false, ['--scope', '--sites']);
  const [action, arg, ...rest] = positional;
  if (rest.length > 0) throw usageError(`keys ${action}: unexpected ${rest.join(' ')}`);
  const url = await serverFor(config, 'keys command');
  await asAdmin(url, config, 'keys command', async (auth) => {
    if (action === 'list' && arg === undefined) {
      const r = await call(`${url}/api/keys`, { headers: auth });
      if (r.status !== 200) throw new CliError(`listing keys failed: ${errorOf(r)}`);
      for (const k of JSON.parse(r.text) as KeyInfo[]) {
        const sites = k.sites === null ? 'all sites' : k.sites.join(',');
        process.stdout.write(`${k.id}  ${k.scope.padEnd(6)}  ${sites}  ${k.name}  (last used ${k.last_used_at ?? 'never'})\n`);
      }
    } else if (action === 'create' && arg !== undefined) {
      const scope = values.get('--scope');
      if (scope === undefined) throw usageError('keys create needs --scope read|ingest|admin');
      const sites = values
        .get('--sites')
        ?.split(',')
        .map((s) => s.trim());
      const r = await call(`${url}/api/keys`, { method: 'POST', headers: auth, json: { name: arg, scope, sites } });
      if (r.status !== 201) throw new CliError(`creating the key failed: ${errorOf(r)}`);
      const k = JSON.parse(r.text) as KeyInfo & { key: string };
      process.stdout.write(`${k.key}\n`);
      process.stderr.write(`key ${k.id} (${k.scope}) created; it is shown only now\n`);
    } else if (action === 'revoke' && arg !== undefined) {
      const r = await call(`${url}/api/keys/${encodeURIComponent(arg)}`, { method: 'DELETE', headers: auth });
      if (r.status !== 204) throw new CliError(`revoking key ${arg} failed: ${errorOf(r)}`);
      process.stdout.write(`key ${arg} revoked\n`);
    } else {
      throw usageError('keys: list, create <name> --scope …, or revoke <id>');
    }
  });
}
