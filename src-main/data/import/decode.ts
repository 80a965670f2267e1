/**
 * Image decoding with sharp: any common format → fixed size, grayscale or RGB, optionally
 * inverted, as raw uint8. Large images are shrunk while decoding (libvips' shrink-on-load) and
 * anything above the pixel limit is refused before it is decoded, so one huge file cannot
 * exhaust memory.
 */
import type sharpFunction from 'sharp';

type Sharp = typeof sharpFunction;

let loaded: Promise<Sharp> | null = null;

/**
 * sharp, loaded on the first decode: its native library costs every `deml` command that opens
 * the service about 80 ms, and most decode nothing.
 */
function sharpModule(): Promise<Sharp> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    // Each image is decoded once: libvips' operation cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.webp', '.tif', '.tiff'] as const;

/**
 * Image formats the decoder (sharp/libvips) cannot read: left out of an import and reported by
 * name with the reason, rather than every such file reported "corrupt".
 */
export const UNSUPPORTED_IMAGE_EXTENSIONS: Record<string, string> = {
  '.bmp': 'BMP is not supported by the image decoder; convert to PNG (e.g. `mogrify -format png *.bmp`)',
};

export function unsupportedImage(name: string): string | null {
  const lower = name.toLowerCase();
  const ext = Object.keys(UNSUPPORTED_IMAGE_EXTENSIONS).find((e) => lower.endsWith(e));
  return ext ? UNSUPPORTED_IMAGE_EXTENSIONS[ext]! : null;
}

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export interface DecodeOptions {
  height: number;
  width: number;
  channels: 1 | 3;
  /** 255 − v: Omniglot's black strokes on white become 1 on 0, as the papers use them. */
  invert: boolean;
  /** Images with more pixels than this are refused (default 100 megapixels). */
  maxInputPixels?: number;
}

export class DecodeError extends Error {
  constructor(
    message: string,
    readonly kind: 'corrupt' | 'oversized',
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

/**
 * A floating-point image (a float TIFF) as 8-bit pixels: values in 0..1 are scaled by 255, values
 * in 0..255 kept. libvips would cast 0..1 to 0 or 1, an all-black class; other ranges are refused.
 */
async function floatAsBytes(
  input: Buffer,
  options: { limitInputPixels: number; failOn: 'error' },
): Promise<ReturnType<Sharp>> {
  const sharp = await sharpModule();
  const { data, info } = await sharp(input, options)
    .raw({ depth: 'float' })
    .toBuffer({ resolveWithObject: true });
  const values = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new DecodeError('a floating-point image with NaN or infinite values', 'corrupt');
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = min >= 0 && max <= 1 ? 255 : min >= 0 && max <= 255 ? 1 : null;
  if (scale == null) {
    throw new DecodeError(
      `a floating-point image with values in ${min.toPrecision(3)}..${max.toPrecision(3)}, neither 0..1 nor 0..255; convert it to 8 bits`,
      'corrupt',
    );
  }
  const bytes = Uint8Array.from(values, (v) => Math.round(v * scale));
  return sharp(Buffer.from(bytes.buffer), {
    raw: { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 },
  });
}

export async function decodeImage(input: Buffer, o: DecodeOptions): Promise<Uint8Array> {
  const limit = o.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const sharp = await sharpModule();
  let pipeline: ReturnType<Sharp>;
  try {
    // libvips checks the pixel limit from the header, before decoding anything.
    const options = { limitInputPixels: limit, failOn: 'error' as const };
    // Only a TIFF can hold floats here; other formats skip the extra header read (~7% of an import).
    const tiff = input.length > 4 && /^(II\*\0|MM\0\*)/.test(input.subarray(0, 4).toString('latin1'));
    const depth = tiff ? (await sharp(input, options).metadata()).depth : 'uchar';
    pipeline =
      depth === 'float' || depth === 'double'
        ? await floatAsBytes(input, options)
        : // rotate(): JPEG's EXIF orientation applied, as a viewer shows the photo.
          sharp(input, { ...options, sequentialRead: true }).rotate();
    pipeline = pipeline
      .resize(o.width, o.height, { fit: 'fill', kernel: 'lanczos3' })
      .flatten({ background: '#ffffff' });
    pipeline = o.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    if (o.invert) pipeline = pipeline.negate({ alpha: false });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== o.channels || data.length !== o.height * o.width * o.channels) {
      throw new DecodeError(
        `decoded to ${info.width}×${info.height}×${info.channels}, not ${o.width}×${o.height}×${o.channels}`,
        'corrupt',
      );
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    const message = (e as Error).message.split('\n')[0] ?? 'undecodable';
    if (/pixel limit/i.test(message)) throw new DecodeError(`above the ${limit}-pixel limit`, 'oversized');
    throw new DecodeError(message, 'corrupt');
  }
}
