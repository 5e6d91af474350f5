/**
 * The byte stream to a target for one connection, as the engine uses it: buffered reads with deadlines, EOF
 * and reset as values, writes split over several TCP segments on request. Nothing here throws at the
 * engine for what the peer does.
 */
import { describeNonTls } from '../non-tls.ts';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIMITS } from './limits.ts';
import type { IdleSignal } from '../targets/types.ts';

/** `idle`: nothing has arrived and the target is provably idle (IdleSignal): nothing will come until the harness writes. */
export type ReadResult = { kind: 'data'; bytes: Uint8Array } | { kind: 'eof' } | { kind: 'reset'; detail: string } | { kind: 'timeout' } | { kind: 'idle' };

/**
 * Resolves after the event loop has run at least one poll phase (socket reads): two check-phase turns, since
 * the first may run in the current loop iteration, before its next poll.
 */
export async function pollInput(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

export class Wire {
  private chunks: Uint8Array[] = [];
  /** Bytes in `chunks`. */
  private buffered = 0;
  private paused = false;
  private ended = false;
  private failure: string | undefined;
  /** The orderly close (EOF) came before the failure: a write after it was refused, the target did not reset. */
  private endedFirst = false;
  private wake: (() => void) | undefined;
  private idleSignal: IdleSignal | undefined;
  private unwatch: (() => void) | undefined;
  /** Told every byte that crosses the connection, in order (`run --pcap`): in from the target, out from the harness, the target's EOF. */
  tap: ((ev: 'in' | 'out' | 'eof', data?: Uint8Array) => void) | undefined;

  constructor(
    readonly stream: Duplex,
    private readonly limits: { readChunk: number; wireBuffer: number } = LIMITS,
  ) {
    stream.on('data', (d: Buffer) => {
      const chunk = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
      this.tap?.('in', chunk);
      this.chunks.push(chunk);
      this.buffered += d.byteLength;
      // Memory per connection: past the buffer limit, stop reading; the socket's flow control holds the rest.
      if (this.buffered >= this.limits.wireBuffer && !this.paused) {
        this.paused = true;
        stream.pause();
      }
      this.notify();
    });
    stream.on('end', () => {
      this.tap?.('eof');
      if (this.failure === undefined) this.endedFirst = true;
      this.ended = true;
      this.notify();
    });
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.failure ??= e.code ?? e.message;
      this.notify();
    });
    stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** Reads end with `idle` as soon as the target is idle (a target that can prove it: IdleSignal). */
  watchIdle(signal: IdleSignal | undefined): void {
    this.unwatch?.();
    this.idleSignal = signal;
    this.unwatch = signal?.onChange(() => this.notify());
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Up to `readChunk` bytes of what has arrived. */
  private take(): Uint8Array {
    const max = this.limits.readChunk;
    let n = 0;
    let k = 0;
    while (k < this.chunks.length && n + this.chunks[k].length <= max) n += this.chunks[k++].length;
    let out: Uint8Array;
    if (k === 0) {
      // The first chunk alone is over the limit: its start.
      const c = this.chunks[0];
      out = c.subarray(0, max);
      this.chunks[0] = c.subarray(max);
    } else {
      out = k === 1 ? this.chunks[0] : new Uint8Array(Buffer.concat(this.chunks.slice(0, k)));
      this.chunks.splice(0, k);
    }
    this.buffered -= out.length;
    if (this.paused && this.buffered < this.limits.wireBuffer / 2 && !this.stream.destroyed) {
      this.paused = false;
      this.stream.resume();
    }
    return out;
  }

  /**
   * Whatever has arrived (at most LIMITS.readChunk bytes), or the first of: data, EOF, reset, the target
   * proven idle (watchIdle), the deadline (ms since the epoch).
   */
  async read(deadline: number): Promise<ReadResult> {
    for (;;) {
      if (this.chunks.length > 0) return { kind: 'data', bytes: this.take() };
      // A reset after an orderly close is the answer to a write the harness made after it: still a close.
      if (this.failure && !this.endedFirst) return { kind: 'reset', detail: this.failure };
      if (this.ended || this.failure) return { kind: 'eof' };
      if (this.idleSignal?.idle()) return { kind: 'idle' };
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

  /**
   * Write bytes, split into several writes at the given offsets with a short pause between them. Returns
   * undefined when the bytes were handed to the connection, or why they could not be: the connection was
   * already closed or reset by the target (`EPIPE`, `ECONNRESET`, `closed`). Never throws.
   */
  async write(bytes: Uint8Array, splitAt: readonly number[] = []): Promise<string | undefined> {
    if (bytes.length === 0) return undefined;
    const cuts = [...new Set(splitAt.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
    // Let the event loop poll for input first, so that what the target sent meanwhile is read before this
    // write: a target that sends its alert and closes with unread data (gnutls-cli does) answers this write with
    // a RST, and Node destroys a socket whose write fails without reading what the kernel still holds (the
    // alert), which would turn the target's alert into "the target reset the connection".
    await pollInput();
    if (!this.failure && !this.stream.destroyed && !this.stream.writableEnded) this.tap?.('out', bytes.slice());
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      if (this.failure) return this.endedFirst ? 'closed' : this.failure;
      if (this.stream.destroyed || this.stream.writableEnded) return 'closed';
      this.stream.write(bytes.subarray(start, end), (e?: Error | null) => {
        // A write the target refused (it had closed or reset): the same as a reset seen by a read.
        if (e && !this.failure) {
          this.failure = (e as NodeJS.ErrnoException).code ?? e.message;
          this.notify();
        }
      });
      start = end;
      if (end < bytes.length) await sleep(5);
    }
    return undefined;
  }

  destroy(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (!this.stream.destroyed) this.stream.destroy();
  }
}

/**
 * Follows the record headers of what the target sends, without decrypting anything, to tell bytes that
 * are not TLS records at all (an HTTP answer, a banner) from TLS records the harness cannot read, and to
 * count the records (into `count`, which the scans of a case's connections may share).
 */
export class RecordHeaderScan {
  private skip = 0;
  private head: number[] = [];
  /** Set at the first header that no TLS record has: a description of it. */
  notTls: string | undefined;
  /**
   * Set at the first record of a TLS 1.3 conversation (`tls13`) whose legacy_record_version breaks RFC 8446 5.1:
   * a description of it. Checked on the records of type application_data, which in TLS 1.3 are every protected
   * record (its opaque_type, RFC 8446 5.2) and come only after the version was negotiated.
   */
  badVersion: string | undefined;

  /** The legacy_record_version of each handshake record (type 22) of the target's so far, in order (the first 64). */
  readonly handshakeVersions: number[] = [];
  /** From this handshake record on (index into handshakeVersions), each must have 0x0303 (requireHandshakeVersion). */
  private handshakeFrom: number | undefined;
  private handshakeWhat = '';

  /** `tls13`: the conversation is TLS 1.3, its protected records' versions are checked (badVersion). */
  constructor(
    readonly count: { records: number } = { records: 0 },
    readonly tls13 = false,
  ) {}

  /** When the bytes so far end inside a record (header or body): how far, for a close that cuts it. */
  get partial(): string | undefined {
    if (this.notTls !== undefined) return undefined;
    if (this.head.length > 0) return `${this.head.length} bytes of a 5-byte record header`;
    if (this.skip > 0) return `a record ${this.skip} bytes short of the length its header gives`;
    return undefined;
  }

  /**
   * RFC 8446 5.1: "a record containing a second ClientHello or a ServerHello MUST have version 0x0303 (reflecting
   * TLS 1.2)". From the handshake record `from` on (an index into handshakeVersions, those seen so far included),
   * each handshake record must have 0x0303; `what` says what they hold. The first call counts (badVersion).
   */
  requireHandshakeVersion(from: number, what: string): void {
    if (this.handshakeFrom !== undefined) return;
    this.handshakeFrom = from;
    this.handshakeWhat = what;
    this.checkHandshakeVersions();
  }

  private checkHandshakeVersions(): void {
    if (this.handshakeFrom === undefined || this.badVersion !== undefined) return;
    for (let i = this.handshakeFrom; i < this.handshakeVersions.length; i++) {
      const v = this.handshakeVersions[i];
      if (v === 0x0303) continue;
      this.badVersion = `handshake record ${i + 1} of the target's (${this.handshakeWhat}) has legacy_record_version 0x${v.toString(16).padStart(4, '0')}, not 0x0303`;
      return;
    }
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && this.notTls === undefined) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.head.push(bytes[i++]);
      if (this.head.length < 5) continue;
      const [type, major, minor, l0, l1] = this.head;
      this.head = [];
      // RFC 8446 5.1 / RFC 5246 6.2.1: a ContentType (20 and up; 20-24 assigned), then a 0x03xx version.
      // (A record of an unassigned type with a TLS version is a TLS record the rules refuse, not garbage.)
      if (type < 20 || major !== 3) {
        // What the bytes look like (an HTTP answer, a banner, or their hex), from the header and what follows.
        const first = new Uint8Array([type, major, minor, l0, l1, ...bytes.subarray(i, i + 59)]);
        this.notTls = describeNonTls(first) ?? `bytes ${Buffer.from(first.subarray(0, 8)).toString('hex')}, not a TLS record header`;
        return;
      }
      // RFC 8446 5.1: "legacy_record_version: MUST be set to 0x0303 for all records generated by a TLS 1.3
      // implementation other than an initial ClientHello"; RFC 8446 5.2: TLSCiphertext.legacy_record_version
      // "MUST be set to 0x0303". (A version below 0x0300, RFC 8446 D.5: "Implementations MUST NOT send any
      // records with a version less than 0x0300", is no TLS record at all: notTls above.)
      if (this.tls13 && type === 23 && (major !== 3 || minor !== 3) && this.badVersion === undefined) {
        const v = ((major << 8) | minor).toString(16).padStart(4, '0');
        this.badVersion = `a protected record (record ${this.count.records + 1} of the target's) with legacy_record_version 0x${v}, not 0x0303`;
      }
      if (type === 22 && this.handshakeVersions.length < 64) {
        this.handshakeVersions.push((major << 8) | minor);
        this.checkHandshakeVersions();
      }
      this.skip = (l0 << 8) | l1;
      this.count.records++;
    }
  }
}
