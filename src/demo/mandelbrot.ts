/** A view of the complex plane to render. */
export interface Tile {
  /** A file name, without extension. */
  name: string;
  /** Centre of the view. */
  cx: number;
  cy: number;
  /** Width of the view in the complex plane. */
  span: number;
  size: number;
  maxIter: number;
}

/** Four classic views of the Mandelbrot set, each a picture of its own. */
export function demoTiles(size: number, maxIter: number): Tile[] {
  return [
    { name: 'mandelbrot-whole', cx: -0.6, cy: 0, span: 3.2, size, maxIter },
    { name: 'mandelbrot-seahorse-valley', cx: -0.745, cy: 0.113, span: 0.03, size, maxIter },
    { name: 'mandelbrot-elephant-valley', cx: 0.282, cy: 0.01, span: 0.04, size, maxIter },
    { name: 'mandelbrot-spiral', cx: -0.7616, cy: 0.0848, span: 0.0045, size, maxIter },
  ];
}

/** RGB pixels of one tile, coloured by a smoothed escape count. */
export function renderTile(tile: Tile): Uint8Array {
  const { size, maxIter } = tile;
  const rgb = new Uint8Array(size * size * 3);
  const step = tile.span / size;
  const x0 = tile.cx - tile.span / 2;
  const y0 = tile.cy - tile.span / 2;
  for (let py = 0; py < size; py++) {
    const ci = y0 + py * step;
    for (let px = 0; px < size; px++) {
      const cr = x0 + px * step;
      let zr = 0;
      let zi = 0;
      let n = 0;
      while (n < maxIter && zr * zr + zi * zi <= 256) {
        const t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n++;
      }
      const at = (py * size + px) * 3;
      if (n >= maxIter) continue; // inside the set: black
      const smooth = n + 1 - Math.log2(Math.log2(zr * zr + zi * zi) / 2);
      const t = Math.sqrt(smooth / maxIter);
      rgb[at] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.0)));
      rgb[at + 1] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.15)));
      rgb[at + 2] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.3)));
    }
  }
  return rgb;
}
