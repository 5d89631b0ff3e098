/**
 * Import first in a test file: sets TN_ID_BLOCK=7 before anything loads the configuration, so the
 * app's id blocks (src/models/idBlocks.ts) run out every 7 creates and their edges are exercised.
 * Jest gives each test file its own copy of process.env, so other files keep the default.
 */
export const SMALL_ID_BLOCK = 7;
process.env.TN_ID_BLOCK = String(SMALL_ID_BLOCK);
