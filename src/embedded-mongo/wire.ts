/**
 * MongoDB wire protocol framing: splitting a TCP byte stream into messages, decoding
 * OP_QUERY (only used for the first handshake) and OP_MSG, and encoding OP_REPLY / OP_MSG.
 */
import { BSON, type Document } from 'bson';
import { SERIALIZE_OPTIONS } from './bson-options';
import { DESERIALIZE_OPTIONS } from './bson-options';
import { normalizeCommand, promoteNumbers } from './bson-numbers';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
/** Larger frames are refused (MongoDB's maxMessageSizeBytes). */
export const MAX_MESSAGE_SIZE = 48_000_000;

const FLAG_CHECKSUM = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;

/** A decoded request: the command document and how to answer it. */
export interface Request {
  requestId: number;
  opCode: typeof OP_QUERY | typeof OP_MSG;
  /** The command, with kind-1 document sequences merged in under their identifiers. */
  command: Document;
  /** For OP_QUERY, the database from `db.$cmd`; for OP_MSG it is in `command.$db`. */
  db: string;
  /** OP_MSG moreToCome: the client expects no reply. */
  noReply: boolean;
}

/** Thrown for frames that cannot be decoded; the connection is then closed. */
export class ProtocolError extends Error {}

/**
 * Accumulates chunks and yields complete frames, whatever the TCP chunking: a frame split over
 * several chunks, or several frames in one chunk. A frame that declares more than
 * `maxMessageSize` bytes is refused as soon as its length is read, before it is buffered.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingSize = 0;

  /** @param maxMessageSize the largest frame accepted; raise it with {@link setMaxMessageSize}. */
  constructor(private maxMessageSize = MAX_MESSAGE_SIZE) {}

  /** Bytes received but not yet returned as a frame (the start of an incomplete frame). */
  get bufferedBytes(): number {
    return this.pendingSize;
  }

  /** Changes the frame size limit (e.g. once a connection has authenticated); never above 48 MB. */
  setMaxMessageSize(size: number): void {
    this.maxMessageSize = Math.min(size, MAX_MESSAGE_SIZE);
  }

  /** Adds a chunk; returns the complete frames it finished (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.pendingSize < 4) break;
      if (this.pending[0].length < 4) this.flatten();
      const size = this.pending[0].readInt32LE(0);
      if (size < HEADER_SIZE) throw new ProtocolError(`invalid message length ${size}`);
      if (size > this.maxMessageSize) throw new ProtocolError(`message length ${size} exceeds the limit of ${this.maxMessageSize} bytes`);
      if (this.pendingSize < size) break;
      if (this.pending[0].length < size) this.flatten();
      const head = this.pending[0];
      frames.push(head.subarray(0, size));
      if (head.length === size) this.pending.shift();
      else this.pending[0] = head.subarray(size);
      this.pendingSize -= size;
    }
    return frames;
  }

  /** Drops whatever is buffered, so a closed connection holds no memory. */
  clear(): void {
    this.pending = [];
    this.pendingSize = 0;
  }

  private flatten(): void {
    this.pending = [Buffer.concat(this.pending, this.pendingSize)];
  }
}

/** Decodes one complete frame into a request. Throws ProtocolError for anything malformed. */
export function decodeFrame(frame: Buffer): Request {
  const requestId = frame.readInt32LE(4);
  const opCode = frame.readInt32LE(12);
  try {
    if (opCode === OP_MSG) return decodeMsg(frame, requestId);
    if (opCode === OP_QUERY) return decodeQuery(frame, requestId);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed message: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function readDocument(frame: Buffer, offset: number, end: number): [Document, number] {
  if (offset + 5 > end) throw new ProtocolError('truncated document');
  const size = frame.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError('document overruns message');
  return [BSON.deserialize(frame.subarray(offset, offset + size), DESERIALIZE_OPTIONS), offset + size];
}

function decodeMsg(frame: Buffer, requestId: number): Request {
  const flags = frame.readUInt32LE(HEADER_SIZE);
  // With a checksum the last 4 bytes are CRC-32C; TCP already guards integrity, so skip it.
  const end = frame.length - (flags & FLAG_CHECKSUM ? 4 : 0);
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === 0) {
      if (body) throw new ProtocolError('more than one body section');
      [body, offset] = readDocument(frame, offset, end);
    } else if (kind === 1) {
      const sectionEnd = offset + frame.readInt32LE(offset);
      if (sectionEnd > end || sectionEnd <= offset + 4) throw new ProtocolError('bad sequence size');
      const idEnd = frame.indexOf(0, offset + 4);
      if (idEnd < 0 || idEnd >= sectionEnd) throw new ProtocolError('bad sequence identifier');
      const identifier = frame.toString('utf8', offset + 4, idEnd);
      const docs: Document[] = [];
      let p = idEnd + 1;
      while (p < sectionEnd) {
        let doc: Document;
        [doc, p] = readDocument(frame, p, sectionEnd);
        docs.push(doc);
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without body');
  for (const [identifier, docs] of sequences) body[identifier] = docs;
  // Stored data keeps its numeric types; command arguments become numbers (bson-numbers.ts).
  normalizeCommand(body);
  const db = typeof body.$db === 'string' ? body.$db : 'admin';
  return { requestId, opCode: OP_MSG, command: body, db, noReply: (flags & FLAG_MORE_TO_COME) !== 0 };
}

function decodeQuery(frame: Buffer, requestId: number): Request {
  let offset = HEADER_SIZE + 4;
  const nameEnd = frame.indexOf(0, offset);
  if (nameEnd < 0) throw new ProtocolError('bad collection name');
  const fullName = frame.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  let [command] = readDocument(frame, offset, frame.length);
  // Old drivers wrap the command as { $query: {...}, $readPreference }.
  if (command.$query && typeof command.$query === 'object') command = command.$query as Document;
  // Only the handshake comes this way: its arguments are promoted to numbers.
  promoteNumbers(command);
  const dot = fullName.indexOf('.');
  return { requestId, opCode: OP_QUERY, command, db: dot > 0 ? fullName.slice(0, dot) : fullName, noReply: false };
}

let nextResponseId = 1;

function header(total: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.allocUnsafe(total);
  buf.writeInt32LE(total, 0);
  buf.writeInt32LE(nextResponseId, 4);
  nextResponseId = (nextResponseId + 1) | 0 || 1;
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** Encodes a reply in the form the request came in (OP_REPLY for OP_QUERY, else OP_MSG). */
export function encodeReply(request: Pick<Request, 'requestId' | 'opCode'>, reply: Document): Buffer {
  const body = BSON.serialize(reply, SERIALIZE_OPTIONS);
  if (request.opCode === OP_QUERY) {
    const buf = header(HEADER_SIZE + 20 + body.length, request.requestId, OP_REPLY);
    buf.writeInt32LE(0, 16); // responseFlags
    buf.writeBigInt64LE(0n, 20); // cursorID
    buf.writeInt32LE(0, 28); // startingFrom
    buf.writeInt32LE(1, 32); // numberReturned
    buf.set(body, 36);
    return buf;
  }
  const buf = header(HEADER_SIZE + 5 + body.length, request.requestId, OP_MSG);
  buf.writeUInt32LE(0, 16); // flagBits
  buf[20] = 0; // section kind 0
  buf.set(body, 21);
  return buf;
}
