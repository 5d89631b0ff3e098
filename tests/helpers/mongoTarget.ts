/**
 * Which database the suites run against: the embedded server, or the real MongoDB named by
 * `MONGODB_URI` (see the README's "Tests"). Imports nothing, so any suite can ask.
 */

/** Whether the suite runs against a real MongoDB instead of the embedded server. */
export const usingRealMongo = (process.env.MONGODB_URI ?? '') !== '';
