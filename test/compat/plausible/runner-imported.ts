/**
 * runner.ts's replay for cases with imported data (case.ts `Fixture.imported`): the same site,
 * goals, events and query, with the fixture's imported rows uploaded as a Plausible CE export
 * (translate-imported.ts) before the query, and the events translated with the sibling files'
 * extra values (translate-siblings.ts). runner.ts's `runCase` does not know imports yet; when
 * it does, this module goes.
 */
import { afterAll, describe, it } from 'vitest';
import type { PortedCase } from './case.js';
import { assertAnswer, caseTitle, createSite, ingest, query, showFails, useCompatServer, verdictSummary } from './runner.js';
import { uploadImported } from './translate-imported.js';
import { translateSiblings } from './translate-siblings.js';

type Ctx = ReturnType<ReturnType<typeof useCompatServer>>;

async function runImportedCase(ctx: Ctx, c: PortedCase, siteId: string, now: Date) {
  await createSite(ctx, siteId, c.fixture.timezone, c.fixture.goals);
  await ingest(ctx, translateSiblings(c.fixture.events, siteId, now));
  if (c.fixture.imported) await uploadImported(ctx.url, ctx.key, siteId, c.fixture.imported, now.toISOString().slice(0, 10));
  const got = await query(ctx, siteId, c.query);
  assertAnswer(got, c.verdict.kind === 'differs' ? c.verdict.ours : c.expect);
}

/** describePorted (runner.ts) for cases that may carry imported rows. */
export function describePortedWithImports(title: string, slug: string, cases: readonly PortedCase[]) {
  describe(title, () => {
    const ctx = useCompatServer();
    // As runner.ts: Plausible's "now", a minute back; its date is the factory's today.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    afterAll(() => {
      console.log(`${title}: ${verdictSummary(cases)}`);
    });
    cases.forEach((c, i) => {
      const siteId = `${slug}-${i}.compat.test`;
      const run = () => runImportedCase(ctx(), c, siteId, now);
      const name = caseTitle(c);
      if (c.verdict.kind === 'pending') it.skip(name, run);
      else if (c.verdict.kind === 'fails' && !showFails) it.fails(name, run);
      else it(name, run);
    });
  });
}
