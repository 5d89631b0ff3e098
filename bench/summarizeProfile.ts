/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof` or the inspector's Profiler): the
 * functions with the most self time, self time per package or project folder, and inclusive
 * time per package (a sample counts once for every package on its stack), optionally per
 * request when the number of requests served during the profile is known.
 *
 *   node dist/bench/summarizeProfile.js FILE.cpuprofile [--top 25] [--requests N]
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Row {
  name: string;
  where: string;
  ms: number;
  pct: number;
  /** Microseconds per request, when the request count is known. */
  usPerRequest?: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle (everything except `(idle)`). */
  busyMs: number;
  requests?: number;
  topSelf: Row[];
  selfByPackage: Row[];
  inclusiveByPackage: Row[];
  /** Inclusive time of the project's own functions (src/): which handler or command costs what. */
  inclusiveProjectFunctions: Row[];
}

const SPECIAL = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/** Frames at the bottom of nearly every stack (event loop and microtask dispatch): left out of the inclusive table. */
const DISPATCH = new Set(['(native / V8 builtins)', 'node:process', 'node:timers', 'node:events', '(root)']);

/** The package or project area a call frame belongs to. */
export function packageOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return '(native / V8 builtins)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    const mod = parts[0] === 'internal' ? parts[1] ?? 'internal' : parts[0];
    return `node:${mod.replace(/\.js$/, '')}`;
  }
  const src = url.match(/\/(?:dist\/)?src\/([^/]+)(\/)?/);
  if (src) return src[2] ? `app: src/${src[1]}/` : `app: src/${src[1]}`;
  const bench = url.match(/\/(?:dist\/)?bench\//);
  if (bench) return 'bench harness';
  return url;
}

function shortWhere(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  const shown = nm >= 0 ? url.slice(nm + '/node_modules/'.length) : url.replace(/^.*\/(dist\/)?(?=(src|bench)\/)/, '');
  return `${shown}:${frame.lineNumber + 1}`;
}

/** Computes the summary; `requests` (served during the profile) adds µs/request columns. */
export function summarize(profile: CpuProfile, top = 25, requests?: number): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Self time per node: the sample deltas (µs) attributed to it.
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    for (let i = 0; i < samples.length; i++) {
      // timeDeltas[i] is the time before sample i; attribute the interval to the next sample's node
      // as V8's own tools do (the delta after sample i belongs to it).
      const delta = deltas[i + 1] ?? (deltas.length ? deltas[deltas.length - 1] : 0);
      selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, delta));
    }
  } else {
    const totalHits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    const per = (profile.endTime - profile.startTime) / totalHits;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * per);
  }

  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  let idleUs = 0;
  const fnSelf = new Map<string, { frame: CallFrame; us: number }>();
  const pkgSelf = new Map<string, number>();
  const pkgIncl = new Map<string, number>();
  const projIncl = new Map<string, { frame: CallFrame; us: number }>();
  const pkgOfNode = new Map<number, string>();
  const pkgFor = (id: number) => {
    let p = pkgOfNode.get(id);
    if (p === undefined) {
      p = packageOf(byId.get(id)!.callFrame);
      pkgOfNode.set(id, p);
    }
    return p;
  };

  for (const [id, us] of selfUs) {
    if (us === 0) continue;
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') idleUs += us;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const entry = fnSelf.get(key) ?? { frame, us: 0 };
    entry.us += us;
    fnSelf.set(key, entry);
    const pkg = pkgFor(id);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us);
    // Inclusive: every distinct package, and every distinct project function, on the stack of this node.
    const seen = new Set<string>();
    const seenFn = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const p = pkgFor(cur);
      if (p.startsWith('app: ')) {
        const f = byId.get(cur)!.callFrame;
        const fnKey = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
        if (!seenFn.has(fnKey)) {
          seenFn.add(fnKey);
          const entry = projIncl.get(fnKey) ?? { frame: f, us: 0 };
          entry.us += us;
          projIncl.set(fnKey, entry);
        }
      }
      if (DISPATCH.has(p) || seen.has(p)) continue;
      seen.add(p);
      pkgIncl.set(p, (pkgIncl.get(p) ?? 0) + us);
    }
  }

  const busyUs = totalUs - idleUs;
  const row = (name: string, where: string, us: number): Row => ({
    name,
    where,
    ms: Math.round(us / 100) / 10,
    pct: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0,
    ...(requests ? { usPerRequest: Math.round((us / requests) * 10) / 10 } : {}),
  });
  const sortRows = (rows: Row[]) => rows.sort((a, b) => b.ms - a.ms);
  const notIdle = (name: string) => name !== '(idle)';

  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    requests,
    topSelf: sortRows(
      [...fnSelf.values()]
        .filter((e) => notIdle(e.frame.functionName))
        .map((e) => row(e.frame.functionName || '(anonymous)', shortWhere(e.frame), e.us)),
    ).slice(0, top),
    selfByPackage: sortRows([...pkgSelf].filter(([p]) => notIdle(p)).map(([p, us]) => row(p, '', us))).slice(0, top),
    inclusiveByPackage: sortRows([...pkgIncl].filter(([p]) => notIdle(p)).map(([p, us]) => row(p, '', us))).slice(0, top),
    inclusiveProjectFunctions: sortRows(
      [...projIncl.values()].map((e) => row(e.frame.functionName || '(anonymous)', shortWhere(e.frame), e.us)),
    ).slice(0, top),
  };
}

/** Plain-text rendering of a summary. Percentages are of busy (non-idle) time. */
export function renderSummary(summary: ProfileSummary): string {
  const perReq = summary.requests !== undefined;
  const table = (title: string, rows: Row[], withWhere: boolean) => {
    const lines = [title];
    for (const r of rows) {
      const cols = [r.ms.toFixed(1).padStart(9) + ' ms', `${r.pct.toFixed(1).padStart(5)} %`];
      if (perReq) cols.push(`${(r.usPerRequest ?? 0).toFixed(1).padStart(7)} µs/req`);
      cols.push(withWhere ? `${r.name}  ${r.where}` : r.name);
      lines.push(`  ${cols.join('  ')}`);
    }
    return lines.join('\n');
  };
  const head =
    `profile: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy (not idle)` +
    (perReq ? `, ${summary.requests} requests → ${((summary.busyMs * 1000) / (summary.requests || 1)).toFixed(1)} µs busy per request` : '');
  return [
    head,
    '',
    table('Top functions by self time:', summary.topSelf, true),
    '',
    table('Self time by package / project folder:', summary.selfByPackage, false),
    '',
    table(
      'Inclusive time by package / project folder (a sample counts once per package on its stack; event-loop dispatch frames left out):',
      summary.inclusiveByPackage,
      false,
    ),
    '',
    table('Inclusive time of project functions (src/):', summary.inclusiveProjectFunctions, true),
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: node dist/bench/summarizeProfile.js FILE.cpuprofile [--top N] [--requests N]\n');
    process.exit(2);
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${renderSummary(summarize(profile, opt('--top') ?? 25, opt('--requests')))}\n`);
}

if (require.main === module) main();
