import { readFileSync } from 'node:fs';

/** This install's version (package.json): what a box reports, what a backup records, what --version prints. */
export const PRODUCT_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
