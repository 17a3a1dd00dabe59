import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that fails at once with the reason. Node's recursive mkdirSync never returns for a
 * path under /proc (it retries ENOENT for ever), which left an agent with `dataDir: /proc/nope`
 * hanging without a word; here each missing level is made in turn and a refusal names the path.
 */
export function makeDir(path: string): void {
  const full = resolve(path);
  const missing: string[] = [];
  let at = full;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new Error(`${at} is a file, not a directory (for ${full})`);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR')
        throw new Error(`cannot make directory ${full}: a part of that path is a file, not a directory`);
      if (code !== 'ENOENT') throw e;
      missing.unshift(at);
      const up = dirname(at);
      if (up === at) break;
      at = up;
    }
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new Error(`cannot make directory ${dir} (for ${full}): ${code ?? (e as Error).message}`);
    }
  }
}
