/**
 * Authentication for TCP listeners: SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash) over
 * MongoDB's `saslStart` / `saslContinue` commands, so that a stock driver given
 * `mongodb://user:password@host:port/?authSource=admin` authenticates as it does with MongoDB.
 *
 * The server keeps only the RFC's StoredKey and ServerKey (never the password). Every
 * primitive is node:crypto's (PBKDF2, HMAC, SHA-256, timingSafeEqual); this file only frames
 * the messages. One user, defined in the `admin` database.
 */
import crypto from 'node:crypto';
import { Binary, type Document } from 'bson';

/** The one user a TCP listener accepts. */
export interface Credentials {
  user: string;
  password: string;
}

/** The only mechanism offered; drivers pick it from `saslSupportedMechs`. */
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
/** The database the user is defined in (`authSource=admin`). */
export const AUTH_DB = 'admin';
/** MongoDB's default `scramSHA256IterationCount`. */
const ITERATIONS = 15_000;
/** MongoDB's salt length for SHA-256 (hash length minus 4). */
const SALT_BYTES = 28;
const NONCE_BYTES = 24;
/** Client messages are a few hundred bytes; anything much larger is not SCRAM. */
const MAX_PAYLOAD_BYTES = 4096;

/** Commands a connection may run before it has authenticated (as MongoDB: handshake, ping, buildInfo, SASL). */
const UNAUTHENTICATED_COMMANDS = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'saslstart', 'saslcontinue']);

/** User names are limited to characters that need no SCRAM escaping or SASLprep. */
const USER_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
/** Passwords are limited to printable ASCII, for which SASLprep (RFC 4013), applied by drivers, changes nothing. */
const PASSWORD_PATTERN = /^[\x20-\x7e]{1,1024}$/;

/** Throws unless the credentials can be used (and typed by a driver's user) unchanged. */
export function validateCredentials(c: Credentials): void {
  if (!USER_PATTERN.test(c.user)) throw new Error('database user must be 1-64 characters of A-Z a-z 0-9 . _ @ -');
  if (!PASSWORD_PATTERN.test(c.password)) throw new Error('database password must be 1-1024 printable ASCII characters');
}

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}

/** StoredKey and ServerKey for one salt (RFC 5802 §3). */
interface ScramSecrets {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

function deriveSecrets(password: string, salt: Buffer): ScramSecrets {
  const saltedPassword = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  return { salt, storedKey: sha256(hmac(saltedPassword, 'Client Key')), serverKey: hmac(saltedPassword, 'Server Key') };
}

/** A MongoDB error reply. */
function failure(code: number, codeName: string, errmsg: string): Document {
  return { ok: 0, errmsg, code, codeName };
}

/** What MongoDB answers for any failed authentication: the same whatever went wrong. */
function authenticationFailed(): Document {
  return failure(18, 'AuthenticationFailed', 'Authentication failed.');
}

/** MongoDB's answer to a command on a connection that has not authenticated. */
export function unauthorizedReply(commandName: string): Document {
  return failure(13, 'Unauthorized', `command ${commandName} requires authentication`);
}

/** Whether a command (lower-case name) may run before authentication. */
export function allowedBeforeAuthentication(lowerName: string): boolean {
  return UNAUTHENTICATED_COMMANDS.has(lowerName);
}

function payloadText(value: unknown): string | undefined {
  let bytes: Uint8Array | undefined;
  if (value instanceof Binary) bytes = value.value();
  else if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string') return value.length <= MAX_PAYLOAD_BYTES ? value : undefined;
  if (!bytes || bytes.length > MAX_PAYLOAD_BYTES) return undefined;
  return Buffer.from(bytes).toString('utf8');
}

/** `a=1,b=2` → Map; undefined when an attribute is malformed or repeated. */
function parseAttributes(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!match || out.has(match[1])) return undefined;
    out.set(match[1], match[2]);
  }
  return out;
}

/** RFC 5802's saslname: `=2C` is `,` and `=3D` is `=`; any other `=` is invalid. */
function decodeSaslName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Printable ASCII except `,` (RFC 5802's `printable`). */
const NONCE_PATTERN = /^[\x21-\x2b\x2d-\x7e]{8,256}$/;

/** The server side of SCRAM-SHA-256 for one user; makes a session per connection. */
export class ScramAuthenticator {
  private readonly user: string;
  private readonly secrets: ScramSecrets;
  /** Makes salts and keys for unknown users, so they fail at the same step as a wrong password. */
  private readonly decoyKey = crypto.randomBytes(32);

  constructor(credentials: Credentials) {
    validateCredentials(credentials);
    this.user = credentials.user;
    this.secrets = deriveSecrets(credentials.password, crypto.randomBytes(SALT_BYTES));
  }

  /** A fresh, unauthenticated session for a new connection. */
  session(): AuthSession {
    return new AuthSession(this);
  }

  /** The secrets for `db.user`, or decoys that can never verify. */
  secretsFor(db: string, user: string): { secrets: ScramSecrets; known: boolean } {
    if (db === AUTH_DB && user === this.user) return { secrets: this.secrets, known: true };
    const salt = hmac(this.decoyKey, `salt:${db}.${user}`).subarray(0, SALT_BYTES);
    return { secrets: { salt, storedKey: hmac(this.decoyKey, `stored:${db}.${user}`), serverKey: this.decoyKey }, known: false };
  }
}

/** One SCRAM conversation in progress. */
interface Conversation {
  id: number;
  db: string;
  user: string;
  known: boolean;
  secrets: ScramSecrets;
  gs2Header: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  skipEmptyExchange: boolean;
  /** True once the proof was verified and the server's signature sent, awaiting the empty last step. */
  verified: boolean;
}

/** The outcome of a SASL step: the reply, and whether the step failed authentication. */
export interface SaslResult {
  reply: Document;
  failed: boolean;
  /** The user the client named, for log lines. */
  user?: string;
}

/** A connection's authentication state and its SCRAM conversation. */
export class AuthSession {
  /** The authenticated user, once a conversation has succeeded. */
  user: string | undefined;
  private conversation: Conversation | undefined;
  private nextConversationId = 1;

  constructor(private readonly authenticator: ScramAuthenticator) {}

  get authenticated(): boolean {
    return this.user !== undefined;
  }

  /** `saslStart` (or a hello's `speculativeAuthenticate`, whose database is in `db`). */
  start(cmd: Document, db: string): SaslResult {
    this.conversation = undefined;
    if (cmd.mechanism !== SCRAM_SHA_256) {
      return {
        reply: failure(334, 'MechanismUnavailable', `Received authentication for mechanism ${String(cmd.mechanism)} which is not enabled`),
        failed: true,
      };
    }
    const text = payloadText(cmd.payload);
    // gs2-header: channel binding flag ("n" or "y"; "p=" would need TLS), then an empty authzid.
    const match = text === undefined ? null : /^([ny]),,(.*)$/s.exec(text);
    const attrs = match ? parseAttributes(match[2]) : undefined;
    const keys = attrs ? [...attrs.keys()] : [];
    // client-first-message-bare: n=user,r=nonce (extensions, "m=", are refused).
    if (!match || !attrs || keys[0] !== 'n' || keys[1] !== 'r' || keys.length !== 2) return { reply: authenticationFailed(), failed: true };
    const user = decodeSaslName(attrs.get('n')!);
    const clientNonce = attrs.get('r')!;

    if (user === undefined || !NONCE_PATTERN.test(clientNonce)) return { reply: authenticationFailed(), failed: true, user };
    const { secrets, known } = this.authenticator.secretsFor(db, user);
    const nonce = clientNonce + crypto.randomBytes(NONCE_BYTES).toString('base64');
    const serverFirst = `r=${nonce},s=${secrets.salt.toString('base64')},i=${ITERATIONS}`;
    const options: unknown = cmd.options;
    const skipEmptyExchange = typeof options === 'object' && options !== null && (options as Document).skipEmptyExchange === true;
    const id = this.nextConversationId++;
    this.conversation = {
      id,
      db,
      user,
      known,
      secrets,
      gs2Header: `${match[1]},,`,
      clientFirstBare: match[2],
      serverFirst,
      nonce,
      skipEmptyExchange,
      verified: false,
    };
    return { reply: { conversationId: id, done: false, payload: new Binary(Buffer.from(serverFirst, 'utf8')), ok: 1 }, failed: false };
  }

  /** `saslContinue`: verifies the client's proof, then (unless skipped) the empty last step. */
  continue(cmd: Document, db: string): SaslResult {
    const conv = this.conversation;
    if (!conv || cmd.conversationId !== conv.id || db !== conv.db) {
      this.conversation = undefined;
      return { reply: failure(17, 'ProtocolError', 'No SASL session state found'), failed: true };
    }
    if (conv.verified) {
      // The client's empty final message after the server's signature.
      this.conversation = undefined;
      this.user = conv.user;
      return { reply: { conversationId: conv.id, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 }, failed: false };
    }
    const serverFinal = this.verifyProof(conv, payloadText(cmd.payload));
    if (serverFinal === undefined) {
      this.conversation = undefined;
      return { reply: authenticationFailed(), failed: true, user: conv.user };
    }
    const payload = new Binary(Buffer.from(serverFinal, 'utf8'));
    if (conv.skipEmptyExchange) {
      this.conversation = undefined;
      this.user = conv.user;
      return { reply: { conversationId: conv.id, done: true, payload, ok: 1 }, failed: false };
    }
    conv.verified = true;
    return { reply: { conversationId: conv.id, done: false, payload, ok: 1 }, failed: false };
  }

  /** Checks client-final-message (c=…,r=…,p=…); returns server-final-message (v=…) or undefined. */
  private verifyProof(conv: Conversation, text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) return undefined;
    const withoutProof = text.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    if (!attrs || proof.length !== 32) return undefined;
    const binding = attrs.get('c');
    // Without channel binding, c= repeats the gs2 header; r= must be the combined nonce.
    if (binding === undefined || Buffer.from(binding, 'base64').toString('utf8') !== conv.gs2Header) return undefined;
    if (attrs.get('r') !== conv.nonce) return undefined;

    const authMessage = `${conv.clientFirstBare},${conv.serverFirst},${withoutProof}`;
    const clientSignature = hmac(conv.secrets.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    const matches = crypto.timingSafeEqual(sha256(clientKey), conv.secrets.storedKey);
    if (!matches || !conv.known) return undefined;
    return `v=${hmac(conv.secrets.serverKey, authMessage).toString('base64')}`;
  }
}
