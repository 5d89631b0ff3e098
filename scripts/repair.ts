/**
 * Salvages a data directory that the embedded server refuses to start on because of damage:
 *
 *   npm run repair -- <dataDir> [--json]
 *
 * Keeps every intact record (before and after each damaged region), writes them as a fresh
 * generation, keeps each damaged file as `<name>.corrupt-<time>`, and prints what was lost.
 * The server must not be running on the directory (repair takes its lock). Exit status: 0 when
 * the directory opens afterwards (repaired, or nothing to repair), 1 on an error, 2 on bad usage.
 * The work is done by src/embedded-mongo/storage/repair.ts.
 */
import * as path from 'node:path';
import { formatRepairReport, repairDirectory } from '../src/embedded-mongo/storage/repair';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dirs = args.filter((a) => a !== '--json');
  if (dirs.length !== 1 || dirs[0].startsWith('-')) {
    process.stderr.write('usage: npm run repair -- <dataDir> [--json]\n');
    return 2;
  }
  const dir = path.resolve(dirs[0]);
  const report = await repairDirectory(dir, { log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`) });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatRepairReport(report)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`repair failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
