import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { type UpdateManifest, verifyManifest } from '../../protocols/index.ts';
import type { UpdateTarget } from './update-target.ts';

const run = promisify(execFile);

export type UpdateFailure =
  | 'bad_signature'
  | 'same_version'
  | 'download_failed'
  | 'too_large'
  | 'hash_mismatch'
  | 'not_a_release'
  | 'unpack_failed'
  | 'invalid_content'
  | 'install_failed';

export class UpdateError extends Error {
  constructor(
    readonly code: UpdateFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Every byte counted and hashed on the way to disk; more than the manifest says is refused. */
async function download(url: string, to: string, m: UpdateManifest, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new UpdateError('download_failed', `cannot download ${url}: ${((e as Error).cause as Error)?.message ?? e}`);
  }
  if (!res.ok || !res.body) throw new UpdateError('download_failed', `download of ${url} answered HTTP ${res.status}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).map((chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > m.size) throw new UpdateError('too_large', `${url} is longer than the ${m.size} bytes signed`);
    hash.update(chunk);
    return chunk;
  });
  try {
    await pipeline(counted, createWriteStream(to, { mode: 0o600 }));
  } catch (e) {
    if (e instanceof UpdateError) throw e;
    throw new UpdateError('download_failed', `download of ${url} broke off: ${(e as Error).message}`);
  }
  const got = hash.digest('hex');
  if (bytes !== m.size || got !== m.sha256)
    throw new UpdateError(
      'hash_mismatch',
      `${url}: ${bytes} bytes with SHA-256 ${got}, the signature is for ${m.size} bytes with ${m.sha256}`,
    );
}

/**
 * The packages: the running release's, linked file by file (`cp -al`, a copy on another file
 * system) when the lock file is the same — no registry needed on the road — else `npm ci --omit=dev`.
 */
async function givePackages(dir: string, running: string): Promise<'linked' | 'installed'> {
  const lock = (d: string) => readFileSync(join(d, 'package-lock.json'), 'utf8');
  const from = join(running, 'node_modules');
  if (existsSync(from) && lock(dir) === lock(running)) {
    const src = realpathSync(from);
    await run('cp', ['-al', src, join(dir, 'node_modules')]).catch(() =>
      run('cp', ['-a', src, join(dir, 'node_modules')]),
    );
    return 'linked';
  }
  try {
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: dir,
      timeout: 20 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    throw new UpdateError(
      'install_failed',
      `its packages changed and npm ci failed: ${(e as Error).message.slice(-500)}`,
    );
  }
  return 'installed';
}

/**
 * Steps before a new version may run, none of which touches the running one: the signature, where
 * its kind goes on this box, the download (size and SHA-256 as signed), the unpacking into
 * `releases/<name>` (one top folder of that name, holding what its kind must hold), an agent's
 * packages. Returns the candidate's folder.
 */
export async function installCandidate(
  signed: unknown,
  url: string,
  o: {
    target: (m: UpdateManifest) => UpdateTarget | { error: string };
    publicKeyPem: string;
    downloadTimeoutMs?: number;
    onDownloading?: () => void;
  },
): Promise<{ dir: string; manifest: UpdateManifest; target: UpdateTarget; packages?: 'linked' | 'installed' }> {
  if (!verifyManifest(signed, o.publicKeyPem))
    throw new UpdateError('bad_signature', 'the bundle’s signature is not from this county’s update key: refused');
  const m = signed.manifest;
  const target = o.target(m);
  if ('error' in target) throw new UpdateError('not_a_release', target.error);
  const { layout } = target;
  const dir = join(layout.releases, m.name);
  if (dir === layout.running) throw new UpdateError('same_version', `${m.name} is the version running`);
  o.onDownloading?.();
  await mkdir(layout.releases, { recursive: true, mode: 0o700 });
  const file = join(layout.releases, `.incoming-${m.sha256}.tar.gz`);
  const unpack = join(layout.releases, `.unpack-${process.pid}`);
  try {
    await download(url, file, m, o.downloadTimeoutMs ?? 10 * 60_000);
    await rm(unpack, { recursive: true, force: true });
    await mkdir(unpack, { recursive: true });
    await run('tar', ['-xzf', file, '-C', unpack, '--no-same-owner', '--no-same-permissions']).catch((e: Error) => {
      throw new UpdateError('unpack_failed', `cannot unpack the bundle: ${e.message.slice(-300)}`);
    });
    const top = readdirSync(unpack);
    if (top.length !== 1 || top[0] !== m.name)
      throw new UpdateError(
        'unpack_failed',
        `the bundle holds ${top.join(', ') || 'nothing'}, not one folder ${m.name}`,
      );
    const got = join(unpack, m.name);
    const wrong = target.check(got, m);
    if (wrong) throw new UpdateError('invalid_content', wrong.slice(0, 900));
    const packages = target.packages && layout.running ? await givePackages(got, layout.running) : undefined;
    await rm(dir, { recursive: true, force: true });
    await rename(got, dir);
    return { dir, manifest: m, target, ...(packages ? { packages } : {}) };
  } finally {
    await rm(unpack, { recursive: true, force: true });
    await rm(file, { force: true });
  }
}
