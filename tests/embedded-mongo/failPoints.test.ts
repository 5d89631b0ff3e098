/**
 * MongoDB's `failCommand` fail point (a test command: only with `testCommands`, as MongoDB has
 * it only with `enableTestCommands`), through the real driver.
 */
import { MongoClient, MongoServerError } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { describeEmbedded } from './helpers';

describeEmbedded('configureFailPoint', () => {
  let server: EmbeddedServer;
  let client: MongoClient;

  beforeAll(async () => {
    server = await startEmbeddedServer({ testCommands: true });
    client = await new MongoClient(server.uri, { retryReads: false, retryWrites: false }).connect();
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });
  afterEach(async () => {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  });

  const coll = () => client.db('fp').collection('c');

  it('does not exist without test commands (CommandNotFound, as MongoDB without enableTestCommands)', async () => {
    const plain = await startEmbeddedServer();
    const other = await new MongoClient(plain.uri).connect();
    try {
      await expect(other.db('admin').command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['find'], errorCode: 8 } })).rejects.toMatchObject({ code: 59 });
    } finally {
      await other.close();
      await plain.close();
    }
  });

  it('{times: 1} with errorCode fails the next matching command only, and does not run it', async () => {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['insert'], errorCode: 8, errorLabels: ['Probe'] } });
    const err = (await coll().insertOne({ _id: 1 } as never).catch((e: unknown) => e)) as MongoServerError;
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(8);
    expect(err.hasErrorLabel('Probe')).toBe(true);
    expect(await coll().countDocuments({ _id: 1 } as never)).toBe(0);
    await coll().insertOne({ _id: 1 } as never);
    expect(await coll().countDocuments({ _id: 1 } as never)).toBe(1);
  });

  it('leaves commands it does not name alone, and {skip: n} lets n matches through first', async () => {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { skip: 1 }, data: { failCommands: ['find'], errorCode: 2 } });
    await coll().insertOne({ _id: 2 } as never);
    await expect(coll().findOne({ _id: 2 } as never)).resolves.toMatchObject({ _id: 2 });
    await expect(coll().findOne({ _id: 2 } as never)).rejects.toMatchObject({ code: 2 });
  });

  it('closeConnection ends the connection without a reply (the driver sees a network error)', async () => {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], closeConnection: true } });
    await expect(coll().findOne({})).rejects.toMatchObject({ name: 'MongoNetworkError' });
    await expect(coll().findOne({ _id: 2 } as never)).resolves.toMatchObject({ _id: 2 });
  });

  it('writeConcernError runs the command and adds the error to its reply', async () => {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['insert'], writeConcernError: { code: 91, errmsg: 'Replication is being shut down' } } });
    await expect(coll().insertOne({ _id: 3 } as never)).rejects.toMatchObject({ code: 91 });
    expect(await coll().countDocuments({ _id: 3 } as never)).toBe(1);
  });

  it('refuses a fail point other than failCommand and a malformed mode', async () => {
    await expect(client.db('admin').command({ configureFailPoint: 'hangBeforeX', mode: 'alwaysOn' })).rejects.toMatchObject({ code: 2 });
    await expect(client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'sometimes', data: { failCommands: ['find'] } })).rejects.toMatchObject({ code: 2 });
  });
});
