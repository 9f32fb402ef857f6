import { chromium } from 'playwright-core';
const url = 'http://127.0.0.1:18200';
const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'test-password-123' }) });
const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c?.startsWith('mallard_session=')) ?? '';
await fetch(`${url}/api/sites`, { method: 'POST', headers: { cookie, origin: url, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'bench.example' }) });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
for (let run = 0; run < 2; run++) {
const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const [name, value] = cookie.split('=');
await ctx.addCookies([{ name: name ?? '', value: value ?? '', url }]);
const tab = await ctx.newPage();
const t0 = performance.now();
const log: string[] = [];
tab.on('requestfinished', async (r) => { const t = r.timing(); log.push(`${(performance.now() - t0).toFixed(0).padStart(5)} ms end; start ${t.startTime ? (t.startTime - 0).toFixed(0) : ''} resp ${t.responseEnd.toFixed(0)} ${r.url().replace(url, '').slice(0, 110)}`); });
await tab.goto(`${url}/sites/bench.example/overview?period=custom&from=2026-11-04&to=2026-12-03`);
await tab.waitForSelector('section.top-stats[aria-busy="false"]', { timeout: 120_000 });
const ts = performance.now() - t0;
await tab.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, undefined, { timeout: 300_000 });
console.log('run', run, 'top stats', ts.toFixed(0), 'all', (performance.now() - t0).toFixed(0));
console.log(log.join('\n'));
await ctx.close();
}
await browser.close();
