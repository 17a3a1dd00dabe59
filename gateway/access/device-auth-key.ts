import { join } from 'node:path';
import { loadOrCreateKey } from '../store/key-file.ts';

/** The key that hashes device passwords (HMAC-SHA256), beside the data like the evidence key. */
export const deviceAuthKey = (dataDir: string): Buffer =>
  loadOrCreateKey(join(dataDir, 'device-auth.key'), 'device-auth key');
