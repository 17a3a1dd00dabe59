import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { DEFAULT_MAX_FRAME_BYTES, toFrame, type Camera, type Frame } from './camera.ts';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface DirectoryCameraOptions {
  name?: string;
  dir: string;
  /** Start again at the first image after the last (replaying a folder); otherwise fail at the end. */
  loop?: boolean;
  maxBytes?: number;
  now?: () => Date;
}

/** Frames from the images in a folder, in name order: for replaying captures and for tests. */
export class DirectoryCamera implements Camera {
  readonly name: string;
  readonly health = new HealthState();
  private files: string[] = [];
  private next = 0;
  private readonly now: () => Date;

  constructor(private readonly opts: DirectoryCameraOptions) {
    this.name = opts.name ?? 'camera';
    this.now = opts.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    try {
      const names = await readdir(this.opts.dir);
      this.files = names.filter((n) => IMAGE_EXT.has(extname(n).toLowerCase())).sort();
      this.next = 0;
      if (!this.files.length)
        throw new HardwareError('camera_failed', `no images (.jpg, .png, .webp) in ${this.opts.dir}`, this.name);
      this.health.ok();
    } catch (e) {
      const err =
        e instanceof HardwareError
          ? e
          : new HardwareError(
              'camera_failed',
              `cannot read image folder ${this.opts.dir}: ${(e as Error).message}`,
              this.name,
            );
      this.health.offline(err);
      throw err;
    }
  }

  async stop(): Promise<void> {}

  get remaining(): number {
    return this.files.length - this.next;
  }

  async grab(): Promise<Frame> {
    if (!this.files.length) await this.start();
    if (this.next >= this.files.length) {
      if (!this.opts.loop) throw new HardwareError('camera_failed', `no more images in ${this.opts.dir}`, this.name);
      this.next = 0;
    }
    const path = join(this.opts.dir, this.files[this.next++]);
    const size = (await stat(path)).size;
    const max = this.opts.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (size > max) throw new HardwareError('image_too_large', `${path} is ${size} bytes, limit ${max}`, this.name);
    return toFrame(await readFile(path), path, this.now());
  }
}
