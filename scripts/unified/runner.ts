/**
 * A runner for the subset of MongoDB's unified test format that the CRUD specification tests
 * use, written from the format's specification (our own code; the test files themselves stay
 * outside the repository). It runs each test with the real `mongodb` driver against a server
 * given by URI: creates the entities, loads the initial data, runs the operations and checks
 * results, errors, command events and the final collection contents. Tests whose
 * runOnRequirements the server does not meet, or that carry a skipReason, are skipped with the
 * reason; anything the runner cannot do (an operation, entity or operator it lacks) fails the
 * test with a "runner:" reason, never skips it, so that the pass rate cannot be flattered.
 */
import { MongoClient, MongoServerError, type ClientSession, type Collection, type Db } from 'mongodb';
import { driverSideCause } from './driver-side';
import { isDocument, matchRootArray, matchValue, show, type EntityLookup } from './match';
import { runOperation, type Entities, type OperationResult } from './operations';

/** One test's verdict. */
export interface TestOutcome {
  file: string;
  test: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
  /** For a failure: set when the Node driver decides it before any server is involved (driver-side.ts). */
  driverSide?: string;
}

/** What the runner knows of the server under test, for runOnRequirements. */
export interface ServerInfo {
  version: number[];
  topology: 'single' | 'replicaset' | 'sharded';
  auth: boolean;
}

type Doc = Record<string, unknown>;

/** Thrown for a test failure with its one-line reason. */
class TestFailure extends Error {}

/** Asks the server for its version and topology (buildInfo, hello). */
export async function describeServer(uri: string): Promise<ServerInfo> {
  const client = new MongoClient(uri);
  try {
    const admin = client.db('admin');
    const build = await admin.command({ buildInfo: 1 });
    const hello = await admin.command({ hello: 1 });
    const topology = hello.setName ? 'replicaset' : hello.msg === 'isdbgrid' ? 'sharded' : 'single';
    return { version: parseVersion(String(build.version)), topology, auth: /\/\/[^/@]+@/.test(uri) };
  } finally {
    await client.close();
  }
}

/** "7.0" → [7, 0, 0]. */
function parseVersion(text: string): number[] {
  const parts = text.split('.').map((p) => parseInt(p, 10) || 0);
  while (parts.length < 3) parts.push(0);
  return parts.slice(0, 3);
}

/** Compares two versions: negative, zero or positive. */
function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Why one runOnRequirement is not met by the server, or null when it is. */
function unmetRequirement(req: Doc, server: ServerInfo): string | null {
  if (req.minServerVersion && compareVersions(server.version, parseVersion(String(req.minServerVersion))) < 0) return `needs server >= ${String(req.minServerVersion)}`;
  if (req.maxServerVersion && compareVersions(server.version, parseVersion(String(req.maxServerVersion))) > 0) return `needs server <= ${String(req.maxServerVersion)}`;
  const topologies = req.topologies as string[] | undefined;
  if (topologies && !topologies.includes(server.topology) && !(server.topology === 'sharded' && topologies.includes('sharded-replicaset'))) {
    return `needs topology ${topologies.join('|')}`;
  }
  if (req.serverless === 'require') return 'needs serverless';
  if (req.auth === true && !server.auth) return 'needs auth';
  if (req.auth === false && server.auth) return 'needs no auth';
  if (req.csfle === true) return 'needs csfle';
  if (req.serverParameters) return 'needs server parameters (not checked by this runner)';
  return null;
}

/** Why a list of alternative requirements is not met (none is), or null when one is. */
export function unmetRequirements(reqs: Doc[] | undefined, server: ServerInfo): string | null {
  if (!reqs || reqs.length === 0) return null;
  const reasons: string[] = [];
  for (const req of reqs) {
    const reason = unmetRequirement(req, server);
    if (!reason) return null;
    reasons.push(reason);
  }
  return `not runnable: ${reasons.join('; or ')}`;
}

/** Commands whose events the format says runners must not report (hello, authentication). */
const SENSITIVE = new Set(['hello', 'ismaster', 'isMaster', 'saslStart', 'saslContinue', 'authenticate', 'getnonce', 'createUser', 'updateUser', 'copydbgetnonce', 'copydbsaslstart', 'copydb']);

/** A command event the runner recorded. */
interface RecordedEvent {
  type: 'commandStartedEvent' | 'commandSucceededEvent' | 'commandFailedEvent';
  commandName: string;
  databaseName?: string;
  command?: Doc;
  reply?: Doc;
}

/** A client entity with the events it observes. */
interface ClientEntity {
  client: MongoClient;
  events: RecordedEvent[];
}

/** Creates a client entity: URI options, observed events, ignored commands. */
function createClient(uri: string, spec: Doc): ClientEntity {
  const uriOptions = (spec.uriOptions ?? {}) as Doc;
  const client = new MongoClient(uri, { monitorCommands: true, ...uriOptions });
  const events: RecordedEvent[] = [];
  const observe = new Set((spec.observeEvents ?? []) as string[]);
  const ignored = new Set((spec.ignoreCommandMonitoringEvents ?? []) as string[]);
  const record = (type: RecordedEvent['type'], fields: (e: Doc) => Partial<RecordedEvent>) => (e: Doc) => {
    const name = String(e.commandName);
    if (!observe.has(type) || ignored.has(name) || SENSITIVE.has(name)) return;
    events.push({ type, commandName: name, databaseName: e.databaseName as string | undefined, ...fields(e) });
  };
  client.on('commandStarted', record('commandStartedEvent', (e) => ({ command: e.command as Doc })) as never);
  client.on('commandSucceeded', record('commandSucceededEvent', (e) => ({ reply: e.reply as Doc })) as never);
  client.on('commandFailed', record('commandFailedEvent', () => ({})) as never);
  return { client, events };
}

/** Builds the entity map of one test from createEntities. */
async function createEntities(uri: string, specs: Doc[] | undefined, entities: Entities, clients: Map<string, ClientEntity>): Promise<void> {
  for (const wrapper of specs ?? []) {
    const [kind, spec] = Object.entries(wrapper)[0] as [string, Doc];
    const id = String(spec.id);
    if (kind === 'client') {
      const entity = createClient(uri, spec);
      await entity.client.connect();
      clients.set(id, entity);
      entities.set(id, entity.client);
    } else if (kind === 'database') {
      entities.set(id, (entities.get(String(spec.client)) as MongoClient).db(String(spec.databaseName), (spec.databaseOptions ?? {}) as Doc));
    } else if (kind === 'collection') {
      entities.set(id, (entities.get(String(spec.database)) as Db).collection(String(spec.collectionName), (spec.collectionOptions ?? {}) as Doc));
    } else if (kind === 'session') {
      const session = (entities.get(String(spec.client)) as MongoClient).startSession((spec.sessionOptions ?? {}) as Doc);
      entities.set(id, session);
    } else {
      throw new TestFailure(`runner: unsupported entity type ${kind}`);
    }
  }
}

/** Drops and refills the collections of initialData (through the runner's own client). */
async function loadInitialData(internal: MongoClient, data: Doc[] | undefined): Promise<void> {
  for (const item of data ?? []) {
    const db = internal.db(String(item.databaseName));
    const name = String(item.collectionName);
    await db.dropCollection(name).catch(() => undefined);
    const documents = (item.documents ?? []) as Doc[];
    if (documents.length === 0 || item.createOptions) await db.createCollection(name, (item.createOptions ?? {}) as Doc);
    if (documents.length) await db.collection(name).insertMany(documents as never[]);
  }
}

/** Checks an error against expectError. */
function checkError(expect: Doc, error: unknown, entities: EntityLookup): string | null {
  const err = error as Doc & { message?: string; hasErrorLabel?: (l: string) => boolean };
  const isServer = error instanceof MongoServerError || (typeof err.code === 'number' && err.errorResponse !== undefined);
  if (expect.isClientError === true && isServer) return `expected a client error, got server error ${String(err.code)}: ${err.message}`;
  if (expect.isClientError === false && !isServer) return `expected a server error, got ${err.message}`;
  if (expect.errorContains !== undefined && !String(err.message).toLowerCase().includes(String(expect.errorContains).toLowerCase())) {
    return `error message "${err.message}" lacks "${String(expect.errorContains)}"`;
  }
  if (expect.errorCode !== undefined && Number(expect.errorCode) !== err.code) return `expected error code ${show(expect.errorCode)}, got ${show(err.code)} (${err.message})`;
  if (expect.errorCodeName !== undefined && expect.errorCodeName !== err.codeName) return `expected error ${show(expect.errorCodeName)}, got ${show(err.codeName)} (${err.message})`;
  for (const label of (expect.errorLabelsContain ?? []) as string[]) if (!err.hasErrorLabel?.(label)) return `error lacks label ${label}`;
  for (const label of (expect.errorLabelsOmit ?? []) as string[]) if (err.hasErrorLabel?.(label)) return `error has label ${label}`;
  if (expect.isTimeoutError === true) return 'runner: isTimeoutError not supported';
  if (expect.errorResponse !== undefined) {
    const reason = matchValue(expect.errorResponse, err.errorResponse, true, { entities, path: 'errorResponse' });
    if (reason) return reason;
  }
  if (expect.expectResult !== undefined) {
    const partial = err.partialResult ?? (err.result as Doc | undefined);
    const reason = matchValue(expect.expectResult, toPlain(partial), true, { entities, path: 'partialResult' });
    if (reason) return reason;
  }
  if (expect.writeErrors !== undefined) return 'runner: writeErrors expectation not supported';
  if (expect.writeConcernErrors !== undefined) return 'runner: writeConcernErrors expectation not supported';
  return null;
}

/** Turns driver result objects (BulkWriteResult, Maps) into plain documents for matching. */
export function toPlain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isDocument(value) || '_bsontype' in value || value instanceof Date) return value;
  const plain: Doc = {};
  for (const key of ['insertedCount', 'matchedCount', 'modifiedCount', 'deletedCount', 'upsertedCount', 'insertedIds', 'upsertedIds', 'insertResults', 'updateResults', 'deleteResults', 'acknowledged']) {
    const v = (value as Doc)[key];
    if (v !== undefined) plain[key] = toPlain(v);
  }
  return plain;
}

/** Runs one operation of a test and checks it against its expectations. */
async function runStep(op: Doc, entities: Entities, lookup: EntityLookup): Promise<void> {
  let result: OperationResult;
  try {
    result = await runOperation(op, entities);
  } catch (error) {
    if (error instanceof TestFailure) throw error;
    if ((error as Error).message?.startsWith('runner:')) throw new TestFailure((error as Error).message);
    if (op.expectError) {
      const reason = checkError(op.expectError as Doc, error, lookup);
      if (reason) throw new TestFailure(`${String(op.name)}: ${reason}`);
      return;
    }
    if (op.ignoreResultAndError) return;
    throw new TestFailure(`${String(op.name)}: unexpected error ${String((error as Doc).code ?? '')} ${(error as Error).message}`.replace(/\s+/g, ' '));
  }
  if (op.expectError) throw new TestFailure(`${String(op.name)}: expected an error, got result ${show(toPlain(result.value))}`);
  if (op.saveResultAsEntity) entities.set(String(op.saveResultAsEntity), result.value);
  if (op.expectResult !== undefined) {
    const actual = toPlain(result.value);
    const ctx = { entities: lookup, path: '' };
    const reason = result.rootArray ? matchRootArray(op.expectResult, actual, ctx) : matchValue(op.expectResult, actual, result.root, ctx);
    if (reason) throw new TestFailure(`${String(op.name)}: result ${reason}`);
  }
}

/** Checks expectEvents for each client listed. */
function checkEvents(expectations: Doc[] | undefined, clients: Map<string, ClientEntity>, lookup: EntityLookup): void {
  for (const expectation of expectations ?? []) {
    const eventType = (expectation.eventType as string | undefined) ?? 'command';
    if (eventType !== 'command') throw new TestFailure(`runner: unsupported eventType ${eventType}`);
    const client = clients.get(String(expectation.client));
    if (!client) throw new TestFailure(`runner: no client ${String(expectation.client)}`);
    const expected = expectation.events as Doc[];
    const actual = client.events;
    if (expectation.ignoreExtraEvents ? actual.length < expected.length : actual.length !== expected.length) {
      throw new TestFailure(`events: expected ${expected.length}, got ${actual.length}: ${actual.map((e) => `${e.type}(${e.commandName})`).join(', ')}`);
    }
    expected.forEach((want, i) => {
      const reason = matchEvent(want, actual[i], lookup);
      if (reason) throw new TestFailure(`event ${i}: ${reason}`);
    });
  }
}

/** Matches one expected command event. */
function matchEvent(want: Doc, got: RecordedEvent, lookup: EntityLookup): string | null {
  const [type, fields] = Object.entries(want)[0] as [string, Doc];
  if (type !== got.type) return `expected ${type}, got ${got.type}(${got.commandName})`;
  if (fields.commandName !== undefined && fields.commandName !== got.commandName) return `expected command ${String(fields.commandName)}, got ${got.commandName}`;
  if (fields.databaseName !== undefined && fields.databaseName !== got.databaseName) return `expected database ${String(fields.databaseName)}, got ${String(got.databaseName)}`;
  if (fields.command !== undefined) {
    const reason = matchValue(fields.command, got.command, true, { entities: lookup, path: 'command' });
    if (reason) return reason;
  }
  if (fields.reply !== undefined) {
    const reason = matchValue(fields.reply, got.reply, true, { entities: lookup, path: 'reply' });
    if (reason) return reason;
  }
  return null;
}

/** Checks the final contents of the outcome's collections (exact documents, in _id order). */
async function checkOutcome(internal: MongoClient, outcome: Doc[] | undefined, lookup: EntityLookup): Promise<void> {
  for (const item of outcome ?? []) {
    const collection: Collection = internal.db(String(item.databaseName)).collection(String(item.collectionName), { readConcern: { level: 'local' } });
    const actual = await collection.find({}, { sort: { _id: 1 } }).toArray();
    const reason = matchValue(item.documents, actual, false, { entities: lookup, path: `outcome ${String(item.collectionName)}` });
    if (reason) throw new TestFailure(reason);
  }
}

/** Closes a test's sessions and clients. */
async function closeEntities(entities: Entities, clients: Map<string, ClientEntity>): Promise<void> {
  for (const value of entities.values()) {
    if (value && typeof value === 'object' && 'endSession' in value) await (value as ClientSession).endSession().catch(() => undefined);
  }
  for (const { client } of clients.values()) await client.close().catch(() => undefined);
}

/** Runs one test of a file: entities, data, operations, events, outcome. */
async function runTest(uri: string, internal: MongoClient, file: Doc, test: Doc): Promise<void> {
  const entities: Entities = new Map();
  const clients = new Map<string, ClientEntity>();
  const lookup: EntityLookup = (id) => {
    if (!entities.has(id)) throw new TestFailure(`runner: no entity ${id}`);
    return entities.get(id);
  };
  try {
    await loadInitialData(internal, file.initialData as Doc[] | undefined);
    await createEntities(uri, file.createEntities as Doc[] | undefined, entities, clients);
    for (const op of (test.operations ?? []) as Doc[]) await runStep(op, entities, lookup);
    checkEvents(test.expectEvents as Doc[] | undefined, clients, lookup);
    await checkOutcome(internal, test.outcome as Doc[] | undefined, lookup);
  } finally {
    await closeEntities(entities, clients);
    if (usesFailPoint(test)) await internal.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' }).catch(() => undefined);
  }
}

/** Whether a test sets a fail point, which the runner turns off after it (as the format asks). */
function usesFailPoint(test: Doc): boolean {
  return ((test.operations ?? []) as Doc[]).some((op) => op.name === 'failPoint' || op.name === 'targetedFailPoint');
}

/** Runs every test of one parsed unified-format file; `filter` keeps tests whose "file: description" contains it. */
export async function runFile(uri: string, server: ServerInfo, name: string, file: Doc, filter?: string): Promise<TestOutcome[]> {
  const outcomes: TestOutcome[] = [];
  const fileUnmet = unmetRequirements(file.runOnRequirements as Doc[] | undefined, server);
  const internal = new MongoClient(uri);
  try {
    for (const test of (file.tests ?? []) as Doc[]) {
      const title = String(test.description);
      if (filter && !`${name}: ${title}`.includes(filter)) continue;
      const unmet = fileUnmet ?? unmetRequirements(test.runOnRequirements as Doc[] | undefined, server);
      if (unmet) outcomes.push({ file: name, test: title, status: 'skip', reason: unmet });
      else if (test.skipReason) outcomes.push({ file: name, test: title, status: 'skip', reason: `skipReason: ${String(test.skipReason)}` });
      else outcomes.push(await verdict(name, title, () => runTest(uri, internal, file, test)));
    }
  } finally {
    await internal.close();
  }
  return outcomes;
}

/** Runs a test body and turns its success or failure into a verdict. */
async function verdict(file: string, test: string, body: () => Promise<void>): Promise<TestOutcome> {
  try {
    await body();
    return { file, test, status: 'pass' };
  } catch (error) {
    const reason = (error instanceof TestFailure ? error.message : `setup or check error: ${(error as Error).message}`).replace(/\s+/g, ' ');
    const driverSide = driverSideCause(file, test, reason);
    return driverSide ? { file, test, status: 'fail', reason, driverSide } : { file, test, status: 'fail', reason };
  }
}
