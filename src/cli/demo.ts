/**
 * `demo` | `demo remove`: loads the demo site (`demo.example`, a month of generated traffic;
 * src/demo) or removes it with all its events, through the running server (POST /api/demo,
 * DELETE /api/sites/demo.example) as the super-admin (server.ts `asAdmin`). The server
 * stores the events through its own ingest path and log, as it stores any batch.
 */
import type { Config } from '../config.js';
import { DEMO_SITE } from '../demo/generate.js';
import { CliError, parseArgs, usageError } from './args.js';
import { asAdmin, call, errorOf, serverFor } from './server.js';

export async function demoCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional } = parseArgs(argv, false);
  const [action, ...rest] = positional;
  if (rest.length > 0 || (action !== undefined && action !== 'remove')) {
    throw usageError(`demo: unexpected ${positional.join(' ')} (demo, or demo remove)`);
  }
  const url = await serverFor(config, 'demo command');
  await asAdmin(url, config, 'demo command', async (auth) => {
    if (action === 'remove') {
      const site = await call(`${url}/api/sites/${DEMO_SITE}`, { headers: auth });
      if (site.status === 404) throw new CliError(`there is no demo site (${DEMO_SITE}) to remove`);
      if (site.status !== 200) throw new CliError(`removing the demo failed: ${errorOf(site)}`);
      if ((JSON.parse(site.text) as { demo?: boolean }).demo !== true) {
        throw new CliError(`the site ${DEMO_SITE} is not the demo; remove it as any site if you mean to`);
      }
      const r = await call(`${url}/api/sites/${DEMO_SITE}`, { method: 'DELETE', headers: auth });
      if (r.status !== 204) throw new CliError(`removing the demo failed: ${errorOf(r)}`);
      process.stdout.write(`demo site ${DEMO_SITE} removed with all its events\n`);
      return;
    }
    const r = await call(`${url}/api/demo`, { method: 'POST', headers: auth });
    if (r.status !== 201) throw new CliError(`loading the demo failed: ${errorOf(r)}`);
    const loaded = JSON.parse(r.text) as { events: number; ms: number; until: number };
    const until = new Date(loaded.until).toISOString();
    process.stdout.write(
      `demo site ${DEMO_SITE} loaded: ${loaded.events} generated events up to ${until} in ${(loaded.ms / 1000).toFixed(1)} s; open ${url}/ (remove it with: mallard-metrics demo remove)\n`,
    );
  });
}
