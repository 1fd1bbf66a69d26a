/**
 * Takes the README's picture of the dashboard: runs the demo (`npm start`) with its dashboard,
 * opens the page in headless Chromium (Debian's, through playwright-core) and saves a
 * screenshot once the demo has been running `--after` seconds.
 *
 *   npx tsx scripts/dashboard-screenshot.ts [--after 20] [--out docs/dashboard.png] [demo names...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { runDemo } from '../src/demo/run.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    after: { type: 'string', default: '20' },
    out: { type: 'string', default: 'docs/dashboard.png' },
  },
});

const out = new PassThrough();
let text = '';
const url = new Promise<string>((resolve) => {
  out.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    text += chunk.toString();
    const match = text.match(/dashboard, live while the demo runs: (\S+)/);
    if (match) resolve(match[1]);
  });
});
const demo = runDemo({ names: positionals, out, outDir: mkdtempSync(join(tmpdir(), 'demo-')) });
const profile = mkdtempSync(join(tmpdir(), 'spindle-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
});
try {
  const page = await context.newPage();
  await page.goto(await url);
  await new Promise((r) => setTimeout(r, Number(values.after) * 1000));
  await page.screenshot({ path: values.out });
  console.error(`saved ${values.out}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
await demo;
