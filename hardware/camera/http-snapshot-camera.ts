import type { Logger } from 'pino';
import { digestAuthorization, parseDigestChallenge } from '../../protocols/index.ts';
import { HardwareError } from '../errors.ts';
import { HealthState } from '../health.ts';
import { DEFAULT_MAX_FRAME_BYTES, toFrame, type Camera, type Frame } from './camera.ts';

export interface HttpSnapshotOptions {
  name?: string;
  /** e.g. http://192.168.1.64/ISAPI/Streaming/channels/101/picture (Hikvision) or /cgi-bin/snapshot.cgi (Dahua). */
  url: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  maxBytes?: number;
  logger?: Logger;
  now?: () => Date;
}

/** A network camera's HTTP snapshot URL, the common ONVIF/IPC way, with Basic or Digest auth. */
export class HttpSnapshotCamera implements Camera {
  readonly name: string;
  readonly health = new HealthState();
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => Date;
  private nc = 0;

  constructor(private readonly opts: HttpSnapshotOptions) {
    this.name = opts.name ?? 'camera';
    this.url = new URL(opts.url);
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.now = opts.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    await this.grab().catch(() => undefined);
  }

  async stop(): Promise<void> {}

  async grab(): Promise<Frame> {
    try {
      const frame = await this.fetchFrame();
      this.health.ok();
      return frame;
    } catch (e) {
      const err =
        e instanceof HardwareError
          ? e
          : new HardwareError('camera_failed', `${this.url.host}: ${(e as Error).message}`, this.name);
      if (err.code === 'bad_image' || err.code === 'image_too_large') this.health.degraded(err);
      else this.health.offline(err);
      throw err;
    }
  }

  private async fetchFrame(): Promise<Frame> {
    const headers: Record<string, string> = {};
    const { username, password } = this.opts;
    if (username !== undefined && password !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    let res = await this.get(headers);
    const challenge = res.status === 401 ? parseDigestChallenge(res.headers.get('www-authenticate') ?? '') : undefined;
    if (challenge && username !== undefined && password !== undefined) {
      await res.body?.cancel();
      const uri = this.url.pathname + this.url.search;
      headers.authorization = digestAuthorization(challenge, { method: 'GET', uri, username, password, nc: ++this.nc });
      res = await this.get(headers);
    }
    if (res.status === 401)
      throw new HardwareError('camera_failed', `camera ${this.url.host} refused the credentials (401)`, this.name);
    if (!res.ok)
      throw new HardwareError('camera_failed', `camera ${this.url.host} answered HTTP ${res.status}`, this.name);
    const bytes = await this.readCapped(res);
    return toFrame(bytes, this.url.href.replace(/\/\/[^@/]*@/, '//'), this.now());
  }

  private get(headers: Record<string, string>): Promise<Response> {
    return fetch(this.url, { headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' }).catch(
      (e: Error) => {
        const why =
          e.name === 'TimeoutError'
            ? `no answer within ${this.timeoutMs} ms`
            : ((e.cause as Error | undefined)?.message ?? e.message);
        throw new HardwareError('camera_failed', `camera ${this.url.host}: ${why}`, this.name);
      },
    );
  }

  private async readCapped(res: Response): Promise<Buffer> {
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.maxBytes)
      throw new HardwareError('image_too_large', `snapshot of ${declared} bytes exceeds ${this.maxBytes}`, this.name);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body ?? []) {
      total += chunk.byteLength;
      if (total > this.maxBytes)
        throw new HardwareError('image_too_large', `snapshot exceeds ${this.maxBytes} bytes`, this.name);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
}
