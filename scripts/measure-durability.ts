/**
 * What durability costs: inserts per second through mongoose with the journal (fsync before
 * every reply) versus `:memory:`, and start-up time of a data directory holding 100,000 notes,
 * journal only and after compaction.
 *
 *   npm run build && node dist/scripts/measure-durability.js
 *
 * Environment (all optional): MEASURE_DIR parent of the temporary data directories (default
 * the OS temp dir: put it on the disk you care about, tmpfs makes fsync free);
 * MEASURE_INSERTS (default 2000) inserts per insert run; MEASURE_CONCURRENCY (default 50);
 * MEASURE_NOTES (default 100000) notes for the start-up runs; MEASURE_RUNS (default 3) runs of
 * each measurement, the median is reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect } from '../src/db';
import { startEmbeddedServer } from '../src/embedded-mongo';
import { JournalPersistence } from '../src/embedded-mongo/storage/journal';
import { logger } from '../src/logger';
import { Note } from '../src/models/Note';

// connect() logs every start at info; keep stdout for the numbers unless LOG_LEVEL says otherwise.
if (!process.env.LOG_LEVEL) logger.level = 'warn';

const INSERTS = intFromEnv('MEASURE_INSERTS', 2000);
const CONCURRENCY = intFromEnv('MEASURE_CONCURRENCY', 50);
const STARTUP_NOTES = intFromEnv('MEASURE_NOTES', 100_000);
const RUNS = intFromEnv('MEASURE_RUNS', 3);
const BATCH = 1000;
const WARM_UP = 300;
const OWNERS = 10;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function dirBytes(dir: string): { bytes: number; files: string[] } {
  const files: string[] = [];
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const size = fs.statSync(path.join(dir, entry.name)).size;
    bytes += size;
    files.push(`${entry.name} ${mib(size)}`);
  }
  return { bytes, files: files.sort() };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const parent = process.env.MEASURE_DIR ?? os.tmpdir();
  const work = fs.mkdtempSync(path.join(parent, 'tn-measure-'));
  let seq = 0;
  const noteDoc = (i: number) => {
    seq += 1;
    const now = Date.now();
    return {
      id: String(seq),
      seq,
      owner: String((i % OWNERS) + 1),
      text: `Measured note ${seq}: remember to water the plants and call back about the invoice ${i}.`,
      createdAt: now,
      updatedAt: now,
    };
  };

  /** Connects like the server does and waits until the Note indexes exist. */
  const open = async (dataDir: string) => {
    const db = await connect({ uri: '', dataDir });
    await Note.createIndexes();
    return db;
  };

  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, data under ${work}`);
  console.log(`inserts: ${INSERTS} per run, concurrency ${CONCURRENCY}; start-up: ${STARTUP_NOTES} notes; ${RUNS} runs each, median reported\n`);

  try {
    // (a) Note.create throughput, sequential and with a pool of CONCURRENCY.
    const insertRows: string[] = [];
    // Runs alternate between the modes, so that warm-up and background load hit both alike.
    const modes = [':memory:', 'journal'] as const;
    const rates = { ':memory:': { seq: [] as number[], conc: [] as number[] }, journal: { seq: [] as number[], conc: [] as number[] } };
    for (let run = 0; run < RUNS; run++) {
      for (const mode of modes) {
        const db = await open(mode === ':memory:' ? ':memory:' : path.join(work, `inserts-${run}`));
        try {
          // Warm-up: connection set-up and JIT are not what is measured.
          for (let i = 0; i < WARM_UP; i++) await Note.create(noteDoc(i));

          let t0 = performance.now();
          for (let i = 0; i < INSERTS; i++) await Note.create(noteDoc(i));
          rates[mode].seq.push(INSERTS / ((performance.now() - t0) / 1000));

          let next = 0;
          t0 = performance.now();
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
              while (next < INSERTS) await Note.create(noteDoc(next++));
            }),
          );
          rates[mode].conc.push(INSERTS / ((performance.now() - t0) / 1000));
        } finally {
          await db.close();
        }
      }
    }
    const results = {
      ':memory:': { seq: median(rates[':memory:'].seq), conc: median(rates[':memory:'].conc) },
      journal: { seq: median(rates.journal.seq), conc: median(rates.journal.conc) },
    };
    for (const mode of modes) {
      console.log(`${mode}: sequential ${rates[mode].seq.map(fmt).join(', ')} inserts/s; concurrency ${CONCURRENCY}: ${rates[mode].conc.map(fmt).join(', ')} inserts/s`);
    }
    for (const mode of [':memory:', 'journal'] as const) {
      const r = results[mode];
      const label = mode === ':memory:' ? '`:memory:`' : 'journal (`TN_DATA_DIR`)';
      insertRows.push(`| ${label} | ${fmt(r.seq)} | ${fmt(r.conc)} |`);
    }
    const mem = results[':memory:'];
    const dur = results.journal;
    insertRows.push(`| journal / memory | ${((dur.seq / mem.seq) * 100).toFixed(0)} % | ${((dur.conc / mem.conc) * 100).toFixed(0)} % |`);

    // (b) Start-up time of a directory with STARTUP_NOTES notes.
    const bigDir = path.join(work, 'startup');
    const db = await open(bigDir);
    let t0 = performance.now();
    try {
      for (let start = 0; start < STARTUP_NOTES; start += BATCH) {
        const docs = Array.from({ length: Math.min(BATCH, STARTUP_NOTES - start) }, (_, i) => noteDoc(start + i));
        await Note.insertMany(docs, { ordered: true, lean: true });
      }
    } finally {
      await db.close();
    }
    const fillMs = performance.now() - t0;
    console.log(`\nfilled ${bigDir} with ${STARTUP_NOTES} notes in ${fmt(fillMs)} ms (insertMany, batches of ${BATCH})`);

    const timeStartups = async (label: string): Promise<{ ms: number; size: number }> => {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        t0 = performance.now();
        const handle = await connect({ uri: '', dataDir: bigDir });
        try {
          const count = await Note.countDocuments();
          times.push(performance.now() - t0);
          if (count !== STARTUP_NOTES) throw new Error(`expected ${STARTUP_NOTES} notes after re-open, found ${count}`);
        } finally {
          await handle.close();
        }
      }
      const { bytes, files } = dirBytes(bigDir);
      console.log(`${label}: start-up ${times.map(fmt).join(', ')} ms; ${mib(bytes)} on disk (${files.join(', ')})`);
      return { ms: median(times), size: bytes };
    };

    /** Reading and decoding the files alone, without rebuilding the catalog and its indexes. */
    const timeReplayOnly = async (label: string): Promise<number> => {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const p = new JournalPersistence({ dir: bigDir, log: () => undefined });
        let mutations = 0;
        t0 = performance.now();
        await p.load(() => void (mutations += 1));
        times.push(performance.now() - t0);
        await p.close();
        if (mutations < STARTUP_NOTES) throw new Error(`expected at least ${STARTUP_NOTES} mutations, replayed ${mutations}`);
      }
      console.log(`${label}, storage replay only (JournalPersistence.load, no catalog): ${times.map(fmt).join(', ')} ms`);
      return median(times);
    };

    const journalOnly = await timeStartups('journal only');
    const journalReplay = await timeReplayOnly('journal only');
    // Compact through the storage layer directly, as the server does when the journal is full.
    const persistence = new JournalPersistence({ dir: bigDir, log: () => undefined });
    const server = await startEmbeddedServer({ persistence });
    t0 = performance.now();
    try {
      await persistence.compact();
    } finally {
      await server.close();
    }
    console.log(`compacted in ${fmt(performance.now() - t0)} ms`);
    const compacted = await timeStartups('after compaction');
    const compactedReplay = await timeReplayOnly('after compaction');

    const table = [
      `| mode | sequential \`Note.create\` (inserts/s) | ${CONCURRENCY} concurrent \`Note.create\` (inserts/s) |`,
      '|---|---:|---:|',
      ...insertRows,
      '',
      `| ${fmt(STARTUP_NOTES)} notes | start-up: \`connect()\` + \`countDocuments\` (ms) | of which reading the files (ms) | data directory |`,
      '|---|---:|---:|---:|',
      `| journal only (\`journal-1.log\`) | ${fmt(journalOnly.ms)} | ${fmt(journalReplay)} | ${mib(journalOnly.size)} |`,
      `| after \`compact()\` (snapshot + empty journal) | ${fmt(compacted.ms)} | ${fmt(compactedReplay)} | ${mib(compacted.size)} |`,
    ];
    console.log(`\n${table.join('\n')}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
