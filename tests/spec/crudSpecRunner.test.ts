/**
 * The unified-format runner behind `npm run spec:crud` (scripts/unified/) is the measure of issue
 * 16's "at least 98 % of MongoDB's runnable CRUD specification tests pass", so it must be strict:
 * these tests feed it small unified-format documents of our own (written here, not copied from
 * MongoDB's test files) and check that it passes a correct test and fails each kind of wrong
 * expectation (result, error code, an extra command event, final collection contents), and that
 * runOnRequirements the server does not meet skip a test. Runs against the embedded server, or the
 * server at MONGODB_URI.
 */
import { EJSON } from 'bson';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { describeServer, runFile, type ServerInfo, type TestOutcome } from '../../scripts/unified/runner';

let server: EmbeddedServer | undefined;
let uri: string;
let info: ServerInfo;
const dbName = `tn_spec_runner_${process.pid}`;

beforeAll(async () => {
  uri = process.env.MONGODB_URI ?? '';
  if (!uri) {
    server = await startEmbeddedServer();
    uri = server.uri;
  }
  info = await describeServer(uri);
});

afterAll(async () => {
  const client = new MongoClient(uri);
  await client.db(dbName).dropDatabase();
  await client.close();
  await server?.close();
});

/** A unified-format file with one collection of three documents, and the given tests. */
function fileWith(tests: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const text = JSON.stringify({
    description: 'runner self-test',
    schemaVersion: '1.0',
    createEntities: [
      { client: { id: 'client0', observeEvents: ['commandStartedEvent'] } },
      { database: { id: 'database0', client: 'client0', databaseName: dbName } },
      { collection: { id: 'collection0', database: 'database0', collectionName: 'things' } },
    ],
    initialData: [{ collectionName: 'things', databaseName: dbName, documents: [{ _id: 1, n: 10 }, { _id: 2, n: 20 }, { _id: 3, n: 30 }] }],
    tests,
    ...extra,
  });
  return EJSON.parse(text, { relaxed: false }) as Record<string, unknown>;
}

/** Runs a file's tests and returns their verdicts. */
async function run(file: Record<string, unknown>): Promise<TestOutcome[]> {
  return runFile(uri, info, 'self-test.json', file);
}

const findN20 = { name: 'find', object: 'collection0', arguments: { filter: { n: { $gte: 20 } }, sort: { _id: 1 } } };
const findEvent = { commandStartedEvent: { commandName: 'find', databaseName: dbName, command: { find: 'things', filter: { n: { $gte: 20 } } } } };

describe('the unified-format CRUD spec runner (scripts/unified)', () => {
  test('passes a test whose result, events and outcome are all right', async () => {
    const [outcome] = await run(
      fileWith([
        {
          description: 'right',
          operations: [
            { ...findN20, expectResult: [{ _id: 2, n: 20 }, { _id: 3, n: { $$type: ['int', 'long'] } }] },
            { name: 'updateOne', object: 'collection0', arguments: { filter: { _id: 1 }, update: { $inc: { n: 1 } } }, expectResult: { matchedCount: 1, modifiedCount: 1 } },
          ],
          expectEvents: [{ client: 'client0', events: [findEvent, { commandStartedEvent: { commandName: 'update' } }] }],
          outcome: [{ collectionName: 'things', databaseName: dbName, documents: [{ _id: 1, n: 11 }, { _id: 2, n: 20 }, { _id: 3, n: 30 }] }],
        },
      ]),
    );
    expect(outcome).toMatchObject({ status: 'pass' });
  });

  test('fails a wrong expected document, and an extra field in a nested document', async () => {
    const outcomes = await run(
      fileWith([
        { description: 'wrong value', operations: [{ ...findN20, expectResult: [{ _id: 2, n: 21 }, { _id: 3, n: 30 }] }] },
        { description: 'one document missing', operations: [{ ...findN20, expectResult: [{ _id: 2, n: 20 }] }] },
        {
          description: 'nested extra field',
          operations: [
            { name: 'updateOne', object: 'collection0', arguments: { filter: { _id: 1 }, update: { $set: { sub: { a: 1, b: 2 } } } } },
            { name: 'findOne', object: 'collection0', arguments: { filter: { _id: 1 } }, expectResult: { _id: 1, sub: { a: 1 } } },
          ],
        },
      ]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fail', 'fail', 'fail']);
    expect(outcomes[0].reason).toMatch(/\[0\]\.n: expected 21, got 20/);
    expect(outcomes[2].reason).toMatch(/unexpected field\(s\) b/);
  });

  test('fails a wrong error code, and an error where a result was expected', async () => {
    // MongoDB refuses a duplicate _id with code 11000 (DuplicateKey).
    const insertDuplicate = { name: 'insertOne', object: 'collection0', arguments: { document: { _id: 1 } } };
    const outcomes = await run(
      fileWith([
        { description: 'right code', operations: [{ ...insertDuplicate, expectError: { errorCode: 11000, isClientError: false } }] },
        { description: 'wrong code', operations: [{ ...insertDuplicate, expectError: { errorCode: 2 } }] },
        { description: 'no error expected', operations: [insertDuplicate] },
        { description: 'error expected, none came', operations: [{ ...findN20, expectError: { isError: true } }] },
      ]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['pass', 'fail', 'fail', 'fail']);
    expect(outcomes[1].reason).toMatch(/expected error code 2, got 11000/);
  });

  test('fails an unexpected extra command event unless ignoreExtraEvents is set', async () => {
    const twoFinds = [findN20, findN20];
    const outcomes = await run(
      fileWith([
        { description: 'strict', operations: twoFinds, expectEvents: [{ client: 'client0', events: [findEvent] }] },
        { description: 'lenient', operations: twoFinds, expectEvents: [{ client: 'client0', events: [findEvent], ignoreExtraEvents: true }] },
      ]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fail', 'pass']);
    expect(outcomes[0].reason).toMatch(/events: expected 1, got 2/);
  });

  test('fails a wrong outcome (final collection contents)', async () => {
    const [outcome] = await run(
      fileWith([
        {
          description: 'wrong outcome',
          operations: [{ name: 'deleteOne', object: 'collection0', arguments: { filter: { _id: 2 } }, expectResult: { deletedCount: 1 } }],
          outcome: [{ collectionName: 'things', databaseName: dbName, documents: [{ _id: 1, n: 10 }, { _id: 2, n: 20 }, { _id: 3, n: 30 }] }],
        },
      ]),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toMatch(/outcome things: expected 3 element\(s\), got 2/);
  });

  test('fails an operation it does not implement rather than skipping it', async () => {
    const [outcome] = await run(fileWith([{ description: 'unknown', operations: [{ name: 'watch', object: 'collection0', arguments: {} }] }]));
    expect(outcome).toMatchObject({ status: 'fail', reason: expect.stringMatching(/runner: unsupported operation watch/) });
  });

  test('skips tests whose runOnRequirements the server does not meet, with the reason', async () => {
    const outcomes = await run(
      fileWith([
        { description: 'needs a replica set', runOnRequirements: [{ topologies: ['replicaset', 'sharded'] }], operations: [findN20] },
        { description: 'needs an old server', runOnRequirements: [{ maxServerVersion: '4.2.99' }], operations: [findN20] },
        { description: 'met by one alternative', runOnRequirements: [{ minServerVersion: '99.0' }, { minServerVersion: '4.0' }], operations: [findN20] },
        { description: 'has a skipReason', skipReason: 'not today', operations: [findN20] },
      ]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['skip', 'skip', 'pass', 'skip']);
    expect(outcomes[0].reason).toMatch(/not runnable: needs topology replicaset\|sharded/);
    expect(outcomes[1].reason).toMatch(/needs server <= 4\.2\.99/);
  });
});
