/** A fixed storage key for tests that open a database file themselves (reopening needs the same key). */
export const TEST_STORAGE_KEY = Buffer.alloc(32, 0x5a);
