import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { verifyDigest } from '../../protocols/index.ts';

export interface VirtualCameraOptions {
  /** Serve the images of this folder in name order, looping; a generated test pattern when absent. */
  dir?: string;
  width?: number;
  height?: number;
  /** Require credentials as IP cameras do (Digest by default, as Hikvision/Dahua). */
  auth?: { username: string; password: string; scheme?: 'digest' | 'basic' };
  host?: string;
  port?: number;
}

export interface CameraFaults {
  /** Answer 503, as a camera that is rebooting does. */
  dead: boolean;
  delayMs: number;
  /** Cut the JPEG short. */
  truncate: boolean;
}

const REALM = 'roadwarden-sim';

/** An IP camera's HTTP snapshot endpoint: GET /snapshot.jpg. */
export class VirtualCamera {
  readonly faults: CameraFaults = { dead: false, delayMs: 0, truncate: false };
  served = 0;
  private server: Server | undefined;
  private files: string[] = [];
  private next = 0;
  private readonly nonce = randomBytes(12).toString('hex');

  constructor(private readonly opts: VirtualCameraOptions = {}) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('virtual camera is not started');
    return `http://${a.address}:${a.port}/snapshot.jpg`;
  }

  async start(): Promise<void> {
    if (this.opts.dir) {
      this.files = (await readdir(this.opts.dir))
        .filter((f) => ['.jpg', '.jpeg', '.png'].includes(extname(f).toLowerCase()))
        .sort();
      if (!this.files.length) throw new Error(`no images in ${this.opts.dir}`);
    }
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) =>
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', resolve),
    );
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next frame, as bytes: from the folder, or a test pattern that changes every frame. */
  async frame(): Promise<Buffer> {
    if (this.files.length) {
      const f = this.files[this.next++ % this.files.length];
      const bytes = await readFile(join(this.opts.dir!, f));
      return extname(f).toLowerCase() === '.png' ? sharp(bytes).jpeg().toBuffer() : bytes;
    }
    const width = this.opts.width ?? 1280;
    const height = this.opts.height ?? 720;
    const n = this.next++;
    const box = { width: Math.round(width / 8), height: Math.round(height / 6) };
    const mark = await sharp({ create: { ...box, channels: 3, background: { r: 240, g: 200, b: 0 } } })
      .png()
      .toBuffer();
    return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 60 + (n % 100), b: 90 } } })
      .composite([{ input: mark, left: (n * 37) % (width - box.width), top: Math.round(height / 2) }])
      .jpeg({ quality: 80 })
      .toBuffer();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' || !req.url?.startsWith('/snapshot')) {
      res.writeHead(404).end();
      return;
    }
    if (!this.authorized(req)) {
      const scheme = this.opts.auth?.scheme ?? 'digest';
      const challenge =
        scheme === 'basic' ? `Basic realm="${REALM}"` : `Digest realm="${REALM}", qop="auth", nonce="${this.nonce}"`;
      res.writeHead(401, { 'www-authenticate': challenge }).end();
      return;
    }
    if (this.faults.delayMs) await new Promise((r) => setTimeout(r, this.faults.delayMs));
    if (this.faults.dead) {
      res.writeHead(503).end('camera rebooting');
      return;
    }
    let jpeg = await this.frame();
    if (this.faults.truncate) jpeg = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    this.served++;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg);
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = this.opts.auth;
    if (!auth) return true;
    const h = req.headers.authorization ?? '';
    if ((auth.scheme ?? 'digest') === 'basic')
      return h === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    return verifyDigest(h, 'GET', auth.password, REALM, this.nonce) && h.includes(`username="${auth.username}"`);
  }
}
