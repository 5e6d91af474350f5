/**
 * The byte stream to a target for one connection, as the engine uses it: buffered reads with deadlines, EOF
 * and reset as values, writes split over several TCP segments on request. Nothing here throws at the
 * engine for what the peer does.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export type ReadResult = { kind: 'data'; bytes: Uint8Array } | { kind: 'eof' } | { kind: 'reset'; detail: string } | { kind: 'timeout' };

export class Wire {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private failure: string | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.failure = e.code ?? e.message;
      this.notify();
    });
    stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Whatever has arrived, or the first of: data, EOF, reset, the deadline (ms since the epoch). */
  async read(deadline: number): Promise<ReadResult> {
    for (;;) {
      if (this.chunks.length > 0) {
        const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
        this.chunks = [];
        return { kind: 'data', bytes: new Uint8Array(all) };
      }
      if (this.failure) return { kind: 'reset', detail: this.failure };
      if (this.ended) return { kind: 'eof' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  get closed(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** Write bytes, split into several writes at the given offsets with a short pause between them. */
  async write(bytes: Uint8Array, splitAt: readonly number[] = []): Promise<void> {
    if (bytes.length === 0 || this.stream.destroyed || this.stream.writableEnded) return;
    const cuts = [...new Set(splitAt.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      if (this.stream.destroyed) return;
      this.stream.write(bytes.subarray(start, end));
      start = end;
      if (end < bytes.length) await sleep(5);
    }
  }

  destroy(): void {
    if (!this.stream.destroyed) this.stream.destroy();
  }
}
