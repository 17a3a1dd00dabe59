import sharp from 'sharp';
import type { HealthState } from '../health.ts';
import { HardwareError } from '../errors.ts';

/** One still frame: the JPEG as the camera gave it, when it was taken, and its size. */
export interface Frame {
  jpeg: Buffer;
  at: Date;
  width: number;
  height: number;
  source: string;
}

export interface RgbFrame {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/** A camera the box can ask for a still frame (the trigger for one capture, 一抓拍). */
export interface Camera {
  readonly name: string;
  readonly health: HealthState;
  start(): Promise<void>;
  stop(): Promise<void>;
  grab(): Promise<Frame>;
}

/** Largest frame accepted: a 4K JPEG is 1–3 MB, so anything past this is broken or hostile. */
export const DEFAULT_MAX_FRAME_BYTES = 12 * 1024 * 1024;
/** Largest pixel count decoded, so a small file cannot expand into gigabytes (decompression bomb). */
export const MAX_FRAME_PIXELS = 8192 * 8192;

/** Validate bytes as an image and turn them into a JPEG Frame (re-encoding non-JPEG sources). */
export async function toFrame(bytes: Buffer, source: string, at: Date): Promise<Frame> {
  try {
    const img = sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error' });
    const meta = await img.metadata();
    if (!meta.width || !meta.height) throw new Error('image has no size');
    const jpeg = meta.format === 'jpeg' ? bytes : await img.jpeg({ quality: 90 }).toBuffer();
    if (meta.format === 'jpeg') await sharp(bytes, { failOn: 'error' }).stats(); // decode fully: catch truncated JPEGs
    return { jpeg, at, width: meta.width, height: meta.height, source };
  } catch (e) {
    throw new HardwareError('bad_image', `${source} did not give a valid image: ${(e as Error).message}`);
  }
}

/** Decode a frame to packed RGB, optionally resized, for recognition. */
export async function toRgb(frame: Frame, size?: { width: number; height: number }): Promise<RgbFrame> {
  let img = sharp(frame.jpeg, { limitInputPixels: MAX_FRAME_PIXELS }).removeAlpha();
  if (size) img = img.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}
