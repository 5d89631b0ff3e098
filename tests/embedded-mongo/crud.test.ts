import mongoose, { Schema, Types } from 'mongoose';
import { openTestDb, type TestDb } from './helpers';

interface Note {
  title: string;
  body?: string;
  owner: Types.ObjectId;
  tags: string[];
  views: number;
  createdAt?: Date;
  updatedAt?: Date;
}

const noteSchema = new Schema<Note>(
  {
    title: { type: String, required: true },
    body: String,
    owner: { type: Schema.Types.ObjectId, required: true },
    tags: [String],
    views: { type: Number, default: 0 },
  },
  { timestamps: true },
);

let db: TestDb;
let Note: mongoose.Model<Note>;

beforeAll(async () => {
  db = await openTestDb('crud');
  Note = db.conn.model<Note>('Note', noteSchema);
  await Note.init();
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await Note.deleteMany({});
});

describe('CRUD through mongoose', () => {
  test('create, findById, updateOne, deleteOne round-trip a document', async () => {
    const owner = new Types.ObjectId();
    const created = await Note.create({ title: 'first', body: 'hello', owner, tags: ['a'] });
    const found = await Note.findById(created._id).lean();
    expect(found?.title).toBe('first');
    expect(found?.owner).toBeInstanceOf(Types.ObjectId);
    expect(found?.owner.equals(owner)).toBe(true);
    expect(found?.createdAt).toBeInstanceOf(Date);

    const res = await Note.updateOne({ _id: created._id }, { $set: { body: 'changed' }, $inc: { views: 2 } });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    const after = await Note.findById(created._id).lean();
    expect(after?.body).toBe('changed');
    expect(after?.views).toBe(2);

    const del = await Note.deleteOne({ _id: created._id });
    expect(del.deletedCount).toBe(1);
    expect(await Note.findById(created._id)).toBeNull();
  });

  test('updateOne with no change reports matched but not modified', async () => {
    const n = await Note.create({ title: 't', owner: new Types.ObjectId() });
    const res = await Note.updateOne({ _id: n._id }, { $set: { title: 't' } }, { timestamps: false });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(0);
  });

  test('updateMany and deleteMany affect every match', async () => {
    const owner = new Types.ObjectId();
    await Note.insertMany([1, 2, 3].map((i) => ({ title: `n${i}`, owner })));
    const res = await Note.updateMany({ owner }, { $push: { tags: 'x' } });
    expect(res.modifiedCount).toBe(3);
    expect(await Note.countDocuments({ tags: 'x' })).toBe(3);
    const del = await Note.deleteMany({ owner });
    expect(del.deletedCount).toBe(3);
  });

  test('upsert via updateOne inserts the filter fields and $setOnInsert only once', async () => {
    const owner = new Types.ObjectId();
    const first = await Note.updateOne(
      { title: 'up', owner },
      { $inc: { views: 1 }, $setOnInsert: { body: 'seeded' } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeInstanceOf(Types.ObjectId);
    await Note.updateOne({ title: 'up', owner }, { $inc: { views: 1 }, $setOnInsert: { body: 'again' } }, { upsert: true });
    const doc = await Note.findOne({ title: 'up' }).lean();
    expect(doc?.owner.equals(owner)).toBe(true);
    expect(doc?.views).toBe(2);
    expect(doc?.body).toBe('seeded');
  });

  test('replaceOne replaces the whole document and keeps _id', async () => {
    const n = await Note.create({ title: 'old', body: 'b', owner: new Types.ObjectId() });
    await Note.replaceOne({ _id: n._id }, { title: 'new', owner: n.owner });
    const doc = await Note.findById(n._id).lean();
    expect(doc?.title).toBe('new');
    expect(doc?.body).toBeUndefined();
  });

  test('findOneAndUpdate returns the old or new document, and findOneAndDelete removes it', async () => {
    const n = await Note.create({ title: 'f', owner: new Types.ObjectId() });
    const before = await Note.findOneAndUpdate({ _id: n._id }, { $set: { title: 'g' } }).lean();
    expect(before?.title).toBe('f');
    const after = await Note.findOneAndUpdate({ _id: n._id }, { $set: { title: 'h' } }, { returnDocument: 'after', projection: { title: 1 } }).lean();
    expect(after).toEqual({ _id: n._id, title: 'h' });
    const missing = await Note.findOneAndUpdate({ title: 'nope' }, { $set: { body: 'x' } }, { returnDocument: 'after' });
    expect(missing).toBeNull();
    const removed = await Note.findOneAndDelete({ _id: n._id }).lean();
    expect(removed?.title).toBe('h');
    expect(await Note.countDocuments()).toBe(0);
  });

  test('positional $ updates the matched array element', async () => {
    const n = await Note.create({ title: 'p', owner: new Types.ObjectId(), tags: ['a', 'b', 'c'] });
    await Note.updateOne({ _id: n._id, tags: 'b' }, { $set: { 'tags.$': 'B' } });
    const doc = await Note.findById(n._id).lean();
    expect(doc?.tags).toEqual(['a', 'B', 'c']);
  });

  test('Date and ObjectId keep their types and compare correctly in queries', async () => {
    const owner = new Types.ObjectId();
    const t0 = new Date('2024-01-01T00:00:00Z');
    await Note.collection.insertMany([
      { title: 'old', owner, tags: [], views: 0, createdAt: t0 },
      { title: 'new', owner, tags: [], views: 0, createdAt: new Date('2025-01-01T00:00:00Z') },
    ]);
    const recent = await Note.find({ createdAt: { $gt: new Date('2024-06-01T00:00:00Z') } }).lean();
    expect(recent.map((d) => d.title)).toEqual(['new']);
    const byOwner = await Note.find({ owner: owner.toHexString() }).lean();
    expect(byOwner).toHaveLength(2);
    expect(byOwner[0].createdAt).toBeInstanceOf(Date);
    expect(byOwner[0].createdAt?.getTime()).toBe(t0.getTime());
    expect(byOwner[0]._id).toBeInstanceOf(Types.ObjectId);
  });

  test('an int64 beyond 2^53 keeps its type and value through $inc', async () => {
    const big = mongoose.mongo.Long.fromString('1152921504606846976');
    const { insertedId } = await Note.collection.insertOne({ title: 'big', counter: big, small: 1 } as never);
    await Note.collection.updateOne({ _id: insertedId }, { $inc: { counter: 1, small: 2 } } as never);
    const doc = await Note.collection.findOne({ _id: insertedId }, { promoteLongs: false });
    expect(doc?.counter).toBeInstanceOf(mongoose.mongo.Long);
    expect(String(doc?.counter)).toBe('1152921504606846977');
    expect(Number(doc?.small)).toBe(3);
  });

  test('case-insensitive $regex, sort, skip, limit and projection', async () => {
    const owner = new Types.ObjectId();
    await Note.insertMany(['Apple pie', 'apple tart', 'Banana', 'APPLE juice', 'cherry'].map((title, i) => ({ title, owner, views: i })));
    const apples = await Note.find({ title: { $regex: 'apple', $options: 'i' } }).sort({ views: -1 }).lean();
    expect(apples.map((d) => d.title)).toEqual(['APPLE juice', 'apple tart', 'Apple pie']);
    const viaRegExp = await Note.countDocuments({ title: /^apple/i });
    expect(viaRegExp).toBe(3);
    const page = await Note.find({}, { title: 1, _id: 0 }).sort({ title: 1 }).skip(1).limit(2).lean();
    expect(page).toEqual([{ title: 'Apple pie' }, { title: 'Banana' }]);
  });

  test('countDocuments, estimatedDocumentCount and distinct', async () => {
    const owner = new Types.ObjectId();
    await Note.insertMany([
      { title: 'a', owner, tags: ['x', 'y'] },
      { title: 'b', owner, tags: ['y'] },
      { title: 'c', owner: new Types.ObjectId(), tags: ['z'] },
    ]);
    expect(await Note.countDocuments({ owner })).toBe(2);
    expect(await Note.estimatedDocumentCount()).toBe(3);
    expect((await Note.distinct('tags')).sort()).toEqual(['x', 'y', 'z']);
    expect((await Note.distinct('title', { owner })).sort()).toEqual(['a', 'b']);
  });

  test('aggregate with $match, $group, $sort and $count', async () => {
    const [a, b] = [new Types.ObjectId(), new Types.ObjectId()];
    await Note.insertMany([
      { title: '1', owner: a, views: 5 },
      { title: '2', owner: a, views: 7 },
      { title: '3', owner: b, views: 1 },
    ]);
    const groups = await Note.aggregate<{ _id: Types.ObjectId; total: number; n: number }>([
      { $match: { views: { $gte: 1 } } },
      { $group: { _id: '$owner', total: { $sum: '$views' }, n: { $sum: 1 } } },
      { $sort: { total: -1 } },
    ]);
    expect(groups).toHaveLength(2);
    expect(groups[0]._id.equals(a)).toBe(true);
    expect(groups[0]).toMatchObject({ total: 12, n: 2 });
    const counted = await Note.aggregate([{ $match: { owner: a } }, { $count: 'n' }]);
    expect(counted).toEqual([{ n: 2 }]);
  });
});
