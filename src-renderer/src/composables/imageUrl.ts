/**
 * Dataset images (raw pixels, channels last, base64) drawn for the page: onto a canvas
 * (DatasetImage), or as a PNG data URL for places that take HTML rather than a canvas (a chart's
 * tooltip), drawn once per image and kept.
 */

/** Draw the image onto a canvas context of its size. */
export function drawPixels(
  ctx: CanvasRenderingContext2D,
  data: string,
  width: number,
  height: number,
  channels: number,
): void {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = bytes[i * channels + (channels === 3 ? k : 0)]!;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

const drawn = new Map<string, string>();

export function imageUrl(data: string, width: number, height: number, channels: number): string {
  const kept = drawn.get(data);
  if (kept) return kept;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return '';
  drawPixels(ctx, data, width, height, channels);
  const url = canvas.toDataURL('image/png');
  drawn.set(data, url);
  return url;
}
