/**
 * `npm run spec:crud -- <dir> [--json <out.json>] [--filter <substring>] [--verbose]`: runs
 * MongoDB's unified-format CRUD specification tests (JSON files in <dir>, kept outside this
 * repository: their licence is not ours) against an in-memory embedded server, or against the
 * server at MONGODB_URI. Prints PASS / FAIL <reason> / SKIP <reason> per test and a summary
 * (runnable, passed, failed, pass % of runnable, skipped), the measure of issue 16's "Done when".
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EJSON } from 'bson';
import { startEmbeddedServer } from '../src/embedded-mongo';
import { describeServer, runFile, type TestOutcome } from './unified/runner';

const USAGE = 'usage: npm run spec:crud -- <dir> [--json <out.json>] [--filter <substring>] [--verbose]';

interface Args {
  dir: string;
  json?: string;
  filter?: string;
  verbose: boolean;
}

/** Reads the command line, or throws the usage line. */
function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = { verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = argv[++i];
    else if (arg === '--filter') args.filter = argv[++i];
    else if (arg === '--verbose') args.verbose = true;
    else if (!arg.startsWith('--') && !args.dir) args.dir = arg;
    else throw new Error(`unknown argument ${arg}; ${USAGE}`);
  }
  if (!args.dir) throw new Error(USAGE);
  return args as Args;
}

/** The summary numbers of a run. */
export function summarise(outcomes: readonly TestOutcome[]): {
  runnable: number;
  passed: number;
  failed: number;
  skipped: number;
  passPercent: number;
  driverSide: number;
  serverPassPercent: number;
} {
  const passed = outcomes.filter((o) => o.status === 'pass').length;
  const failed = outcomes.filter((o) => o.status === 'fail').length;
  const driverSide = outcomes.filter((o) => o.status === 'fail' && o.driverSide).length;
  const runnable = passed + failed;
  const percent = (n: number, of: number) => (of ? Math.round((n / of) * 1000) / 10 : 0);
  return { runnable, passed, failed, skipped: outcomes.length - runnable, passPercent: percent(passed, runnable), driverSide, serverPassPercent: percent(passed, runnable - driverSide) };
}

/** Runs every .json file of the directory, printing each verdict as it comes. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = process.env.MONGODB_URI ? undefined : await startEmbeddedServer({ testCommands: true });
  const uri = process.env.MONGODB_URI ?? server!.uri;
  const outcomes: TestOutcome[] = [];
  try {
    const info = await describeServer(uri);
    console.log(`server ${info.version.join('.')} ${info.topology}${server ? ' (embedded, in memory)' : ''}`);
    for (const name of readdirSync(args.dir).filter((f) => f.endsWith('.json')).sort()) {
      const file = EJSON.parse(readFileSync(path.join(args.dir, name), 'utf8'), { relaxed: false }) as Record<string, unknown>;
      for (const outcome of await runFile(uri, info, name, file, args.filter)) {
        outcomes.push(outcome);
        const status = outcome.driverSide ? 'FAIL (driver)' : outcome.status.toUpperCase();
        const why = outcome.driverSide ? ` — ${outcome.reason ?? ''} [${outcome.driverSide}]` : outcome.reason ? ` — ${outcome.reason}` : '';
        if (outcome.status !== 'skip' || args.verbose) console.log(`${status} ${name}: ${outcome.test}${why}`);
      }
    }
  } finally {
    await server?.close();
  }
  const summary = summarise(outcomes);
  console.log(`runnable ${summary.runnable}, passed ${summary.passed}, failed ${summary.failed}, pass ${summary.passPercent}% of runnable, skipped ${summary.skipped}`);
  console.log(
    `failures the Node driver decides before any server sees a command: ${summary.driverSide}; ` +
      `pass ${summary.serverPassPercent}% of the ${summary.runnable - summary.driverSide} runnable tests the server decides`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify({ summary, outcomes }, null, 2));
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 2;
  });
}
