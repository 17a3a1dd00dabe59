import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class VoiceUpdateError extends Error {
  constructor(
    readonly code: 'download_failed' | 'hash_mismatch' | 'too_large',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Voice clips pushed from the centre (云端实时更新): downloaded, checked against the SHA-256 the
 * gateway sent, and swapped in atomically, so a half-downloaded or tampered clip never plays.
 */
export class VoiceStore {
  constructor(
    readonly dir: string,
    private readonly maxBytes = 20 * 1024 * 1024,
  ) {}

  pathOf(clip: number): string {
    return join(this.dir, `clip-${String(clip).padStart(4, '0')}.mp3`);
  }

  async update(
    clip: number,
    url: string,
    sha256: string,
    timeoutMs = 30_000,
  ): Promise<{ path: string; bytes: number }> {
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new VoiceUpdateError(
        'download_failed',
        `cannot download ${url}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`,
      );
    }
    if (!res.ok) throw new VoiceUpdateError('download_failed', `download of ${url} answered HTTP ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > this.maxBytes)
      throw new VoiceUpdateError('too_large', `clip is ${bytes.length} bytes, limit ${this.maxBytes}`);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256)
      throw new VoiceUpdateError(
        'hash_mismatch',
        `clip ${clip} has SHA-256 ${got}, expected ${sha256}; kept the old clip`,
      );
    await mkdir(this.dir, { recursive: true });
    const final = this.pathOf(clip);
    const tmp = `${final}.part`;
    try {
      await writeFile(tmp, bytes, { flush: true });
      await rename(tmp, final);
    } finally {
      await rm(tmp, { force: true });
    }
    return { path: final, bytes: bytes.length };
  }
}
