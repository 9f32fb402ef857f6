/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. written by the ingest benchmark with
 * BENCH_SERVER_NODE_ARGS): where the sampled time went, as self time per area of the code
 * (our modules by folder, each dependency by package, node's internals, garbage collection,
 * idle) and the functions with the most self time.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top N, default 25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary <file.cpuprofile> [top N]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

// Self time per node: each sample's delta goes to the node that was on top of the stack.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** The area a frame belongs to: a folder of dist/, a package, node's own code, or V8's pseudo-frames. */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/dist\/(.+)\/[^/]+$/.exec(url);
  if (ours) return `src/${ours[1]}`;
  return url;
}

const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const a = area(node);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const where = node.callFrame.url
    ? `${node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${node.callFrame.lineNumber + 1}`
    : '';
  const name = `${node.callFrame.functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);

process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by area\n`);
for (const [name, us] of sorted(byArea)) if (us / total >= 0.005) process.stdout.write(`${pct(us)} ${ms(us)}  ${name}\n`);
process.stdout.write(`\nfunctions with the most self time\n`);
for (const [name, us] of sorted(byFunction).slice(0, top)) process.stdout.write(`${pct(us)} ${ms(us)}  ${name}\n`);
