import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineTasks } from '../tasks/define.js';
import { renderTile, type Tile } from './mandelbrot.js';
import { encodePng } from './png.js';

/** The demo's tasks: imported by `spindle demo` and, by URL, by every worker it starts. */
export const demoTasks = defineTasks(import.meta.url, {
  cube: (x: number) => x ** 3,
  square: (x: number) => x ** 2,

  /** The seeds' I/O-bound example: a square that waits 100 ms first. */
  async slowSquare(x: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return x * x;
  },

  /** Fetches a page and returns its <title>. */
  async title(url: string): Promise<string> {
    const response = await fetch(url);
    const html = await response.text();
    return /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? '';
  },

  /** Σ a[i]² over [lo, hi): with `a` in shared memory, workers read it where it is. */
  sumSquaresRange(lo: number, hi: number, a: Float64Array): number {
    let s = 0;
    for (let i = lo; i < hi; i++) s += a[i]! * a[i]!;
    return s;
  },

  /** Σ x² over a chunk that was copied to the worker. */
  sumSquares(chunk: Float64Array): number {
    let s = 0;
    for (let i = 0; i < chunk.length; i++) s += chunk[i]! * chunk[i]!;
    return s;
  },

  /** Words in one string. */
  wordCount: (text: string) => countWords(text),

  /** Words in a batch of strings: one message for many small items. */
  wordCountBatch(texts: string[]): number {
    let n = 0;
    for (const text of texts) n += countWords(text);
    return n;
  },

  /** Renders one Mandelbrot tile, encodes it as PNG and writes it to `dir`. */
  async renderPng(tile: Tile, dir: string): Promise<string> {
    const file = join(dir, `${tile.name}.png`);
    await writeFile(file, encodePng(tile.size, tile.size, renderTile(tile)));
    return file;
  },
});

function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) === 32;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}
