import sharp from 'sharp';

/** An image fitted into a model's input, and how to map input pixels back to the image. */
export interface Fitted {
  /** RGB bytes, width × height × 3. */
  rgb: Buffer;
  imageWidth: number;
  imageHeight: number;
  scaleX: number;
  scaleY: number;
  left: number;
  top: number;
  /** From model-input pixels back to image pixels. */
  back(x: number, y: number): [number, number];
}

/**
 * Fit an image into width × height: `letterbox` keeps the aspect ratio and pads evenly with
 * `pad` (grey 114 for YOLO, black for BlazeFace); `stretch` fills.
 */
export async function fitImage(
  image: Buffer,
  width: number,
  height: number,
  o: { mode?: 'letterbox' | 'stretch'; pad?: number } = {},
): Promise<Fitted> {
  const meta = await sharp(image).metadata();
  const W = meta.width ?? 0;
  const H = meta.height ?? 0;
  if (!W || !H) throw new Error('image has no size');
  const letterbox = (o.mode ?? 'letterbox') === 'letterbox';
  const scaleX = letterbox ? Math.min(width / W, height / H) : width / W;
  const scaleY = letterbox ? scaleX : height / H;
  const nw = Math.round(W * scaleX);
  const nh = Math.round(H * scaleY);
  const left = Math.floor((width - nw) / 2);
  const top = Math.floor((height - nh) / 2);
  const v = o.pad ?? 114;
  const { data } = await sharp(image)
    .removeAlpha()
    .resize(nw, nh, { fit: 'fill' })
    .extend({ left, top, right: width - nw - left, bottom: height - nh - top, background: { r: v, g: v, b: v } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    rgb: data,
    imageWidth: W,
    imageHeight: H,
    scaleX,
    scaleY,
    left,
    top,
    back: (x, y) => [(x - left) / scaleX, (y - top) / scaleY],
  };
}
