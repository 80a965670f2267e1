/** Image fixtures made by code with sharp. */
import sharp from 'sharp';

/** A w×h grayscale PNG: a dark square of side `mark` at the top-left corner on white. */
export async function markedPng(w: number, h: number, mark = 0, value = 0): Promise<Buffer> {
  const px = Buffer.alloc(w * h, 255);
  for (let y = 0; y < mark; y++) for (let x = 0; x < mark; x++) px[y * w + x] = value;
  return sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

export async function solidJpeg(w: number, h: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({
    create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .jpeg()
    .toBuffer();
}
