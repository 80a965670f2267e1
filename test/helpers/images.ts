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

/**
 * A 32-bit float, one-channel TIFF (SampleFormat 3), written by hand: sharp converts float input
 * to 8 bits when it writes a TIFF, and such files come from scientific pipelines.
 */
export function floatTiff(width: number, height: number, values: readonly number[]): Buffer {
  const tags: Array<[number, number, number]> = [
    [256, 3, width],
    [257, 3, height],
    [258, 3, 32], // bits per sample
    [259, 3, 1], // no compression
    [262, 3, 1], // black is zero
    [273, 4, 0], // strip offset, set below
    [277, 3, 1], // samples per pixel
    [278, 3, height], // rows per strip
    [279, 4, width * height * 4], // strip byte count
    [339, 3, 3], // sample format: IEEE float
  ];
  const dataOffset = 8 + 2 + tags.length * 12 + 4;
  const out = Buffer.alloc(dataOffset + width * height * 4);
  out.write('II', 0);
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataOffset : value;
    if (type === 3) out.writeUInt16LE(v, at + 8);
    else out.writeUInt32LE(v, at + 8);
  });
  values.forEach((v, i) => out.writeFloatLE(v, dataOffset + i * 4));
  return out;
}

/** A JPEG whose left half is red and right half blue, with an EXIF orientation tag. */
export async function orientedJpeg(width: number, height: number, orientation: number): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      rgb.set(x < width / 2 ? [230, 20, 20] : [20, 20, 230], (y * width + x) * 3);
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation })
    .toBuffer();
}
