import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { CliError, ExitCode } from './exit.js';

/**
 * The lines of a stream, without their `\n` or `\r\n`. Pulling from the stream's own async
 * iterator means a line is read only when the consumer asks for it: memory stays bounded by
 * the look-ahead, whatever the size of the input. `onBytes` sees how much has been read.
 */
export async function* readLines(
  stream: Readable,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    onBytes?.(Buffer.byteLength(chunk));
    let start = 0;
    let text = rest + chunk;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.charCodeAt(nl - 1) === 13 && nl > start
        ? text.slice(start, nl - 1)
        : text.slice(start, nl);
      start = nl + 1;
    }
    text = text.slice(start);
    rest = text;
  }
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** Writes lines, waiting for the stream to drain so a slow reader slows the run down. */
export class LineWriter {
  readonly #out: Writable;
  #buffer: string[] = [];
  #failure: Error | undefined;

  constructor(out: Writable) {
    this.#out = out;
    out.on('error', (error) => {
      this.#failure ??= error;
    });
  }

  /** The stream's error, if writing failed (EPIPE when the reader went away). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  push(line: string): void {
    this.#buffer.push(line);
  }

  get pending(): number {
    return this.#buffer.length;
  }

  /** Writes what was pushed, in one call. */
  async flush(): Promise<void> {
    if (this.#buffer.length === 0 || this.#failure) return;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    if (!this.#out.write(text)) {
      const stop = new AbortController();
      const { signal } = stop;
      await Promise.race([
        once(this.#out, 'drain', { signal }),
        once(this.#out, 'error', { signal }),
      ])
        .catch(() => {})
        .finally(() => stop.abort());
    }
  }

  /**
   * After `end`: OK when the reader went away (EPIPE: `spindle run … | head` is not an error),
   * a CliError when writing failed otherwise, undefined when writing went well.
   */
  outcome(): number | undefined {
    const failure = this.#failure;
    if (!failure) return undefined;
    if ((failure as NodeJS.ErrnoException).code === 'EPIPE') return ExitCode.OK;
    throw new CliError(`could not write the output: ${failure.message}`, ExitCode.IO);
  }

  /** Flushes and, for a file, closes it and waits until the bytes are written. */
  async end(closeStream: boolean): Promise<void> {
    await this.flush();
    if (!closeStream || this.#failure) return;
    this.#out.end();
    await once(this.#out, 'finish').catch(() => {});
  }
}
