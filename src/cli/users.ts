/**
 * `users list | create <email> | remove <id>`: dashboard users, managed through the running
 * server's own routes (docs/API.md, "Users and roles") with the super-admin's credential
 * (server.ts `asAdmin`: MALLARD_ADMIN_PASSWORD, or MALLARD_API_KEY of a key the super-admin
 * made). The new user's password is read from standard input, never from the command line,
 * where shell history and process lists would keep it.
 */
import type { Config } from '../config.js';
import { CliError, parseArgs, usageError } from './args.js';
import { asAdmin, call, errorOf, serverFor } from './server.js';

interface UserInfo {
  id: string;
  email: string | null;
  super_admin: boolean;
}

/** The first line of standard input. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password for the new user (then Enter): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function usersCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional } = parseArgs(argv, false);
  const [action, arg, ...rest] = positional;
  if (rest.length > 0) throw usageError(`users ${action}: unexpected ${rest.join(' ')}`);
  const url = await serverFor(config, 'users command');
  if (action === 'create' && arg !== undefined) {
    const password = await passwordFromStdin();
    await asAdmin(url, config, 'users command', async (auth) => {
      const r = await call(`${url}/api/users`, { method: 'POST', headers: auth, json: { email: arg, password } });
      if (r.status !== 201) throw new CliError(`creating the user failed: ${errorOf(r)}`);
      const u = JSON.parse(r.text) as UserInfo;
      process.stdout.write(`${u.id}  ${u.email}\n`);
    });
    return;
  }
  await asAdmin(url, config, 'users command', async (auth) => {
    if (action === 'list' && arg === undefined) {
      const r = await call(`${url}/api/users`, { headers: auth });
      if (r.status !== 200) throw new CliError(`listing users failed: ${errorOf(r)}`);
      for (const u of JSON.parse(r.text) as UserInfo[]) {
        process.stdout.write(`${u.id}  ${u.email ?? '(no e-mail)'}${u.super_admin ? '  super-admin' : ''}\n`);
      }
    } else if (action === 'remove' && arg !== undefined) {
      const r = await call(`${url}/api/users/${encodeURIComponent(arg)}`, { method: 'DELETE', headers: auth });
      if (r.status !== 204) throw new CliError(`removing user ${arg} failed: ${errorOf(r)}`);
      process.stdout.write(`user ${arg} removed\n`);
    } else {
      throw usageError('users: list, create <email> (the password on standard input), or remove <id>');
    }
  });
}
