/**
 * What one case may cost, whatever the target sends (README, "Reliability"): what a case records, how much
 * the harness buffers per connection, how much a target may send without the conversation moving on. A
 * harness is pointed at broken implementations by design; none of these depend on the target behaving.
 */
import type { TranscriptEntry } from './result.ts';

export const LIMITS = {
  /** Transcript entries a case keeps from its start (the conversation as it began). */
  transcriptHead: 200,
  /** ... and from its end (where the verdict was decided); the entries between are counted, by kind. */
  transcriptTail: 50,
  /** Bytes of one hex dump (`wire`, undecodable bytes): the rest is cut, `wireLength` gives the whole. */
  dumpBytes: 2048,
  /** Characters of one entry's decoded fields (`detail`, as JSON): beyond, the entry keeps a cut text. */
  detailChars: 8192,
  /** Bytes one read hands to the engine at most (bounds the work done between two checks of the deadline). */
  readChunk: 16 * 1024,
  /** Bytes a connection buffers unread before it stops reading from the socket (TCP flow control holds the rest). */
  wireBuffer: 256 * 1024,
  /**
   * Bytes the target may send without the conversation moving on (nothing the harness waits for arrives:
   * CCS records, a handshake message announced as megabytes long): beyond, the case fails. No handshake
   * flight of a real implementation comes near it (a certificate chain is tens of KiB).
   */
  stallBytes: 1024 * 1024,
} as const;

/** The hex of at most `LIMITS.dumpBytes` bytes, and the whole length when it was cut. */
export function dump(bytes: Uint8Array, limit: number = LIMITS.dumpBytes): { wire: string; wireLength?: number } {
  if (bytes.length <= limit) return { wire: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') };
  return { wire: Buffer.from(bytes.buffer, bytes.byteOffset, limit).toString('hex'), wireLength: bytes.length };
}

/** A hex string (already made) cut to `LIMITS.dumpBytes` bytes. */
export function capHex(hex: string, limit: number = LIMITS.dumpBytes): { wire: string; wireLength?: number } {
  return hex.length <= 2 * limit ? { wire: hex } : { wire: hex.slice(0, 2 * limit), wireLength: hex.length / 2 };
}

/** Decoded fields, or when their JSON is longer than `LIMITS.detailChars`, the start of that JSON and its length. */
export function capDetail(detail: unknown, limit: number = LIMITS.detailChars): unknown {
  if (detail === undefined || typeof detail === 'number' || typeof detail === 'boolean' || detail === null) return detail;
  if (typeof detail === 'string') return detail.length <= limit ? detail : { truncated: detail.slice(0, limit), chars: detail.length };
  let json: string;
  try {
    json = JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  } catch {
    return { truncated: '(fields that cannot be shown)' };
  }
  if (json === undefined || json.length <= limit) return detail;
  return { truncated: json.slice(0, limit), chars: json.length };
}

/**
 * A case's transcript with a bounded size: the first `head` entries and the last `tail`; the entries in
 * between are dropped and counted (by direction and kind), and `entries()` puts one `omitted` note where
 * they were. Each entry's dumps and decoded fields are capped as they are added.
 */
export class BoundedTranscript {
  private readonly first: TranscriptEntry[] = [];
  private ring: TranscriptEntry[] = [];
  private ringStart = 0;
  private omittedCount = 0;
  private readonly omittedKinds = new Map<string, number>();
  private omittedFrom = 0;
  private omittedTo = 0;

  constructor(
    private readonly head: number = LIMITS.transcriptHead,
    private readonly tail: number = LIMITS.transcriptTail,
  ) {}

  /** Entries added so far (kept or not). */
  get total(): number {
    return this.first.length + this.ring.length + this.omittedCount;
  }

  push(e: TranscriptEntry): void {
    if (e.wire !== undefined && e.wireLength === undefined) Object.assign(e, capHex(e.wire));
    if (e.detail !== undefined) e.detail = capDetail(e.detail);
    // A received entry the same as the one before (ChangeCipherSpec after ChangeCipherSpec, and nothing else
    // to show) is counted on that one: a flood of them is one entry, not thousands.
    const prev = this.last();
    if (prev && e.dir === 'received' && prev.dir === 'received' && e.kind === prev.kind && e.name === prev.name && e.epoch === prev.epoch && sansPayload(e) && sansPayload(prev)) {
      prev.repeat = (prev.repeat ?? 1) + 1;
      prev.lastT = e.t;
      return;
    }
    if (this.first.length < this.head) {
      this.first.push(e);
      return;
    }
    if (this.ring.length < this.tail) {
      this.ring.push(e);
      return;
    }
    // The ring is full: its oldest entry is dropped (counted).
    const old = this.ring[this.ringStart];
    this.ring[this.ringStart] = e;
    this.ringStart = (this.ringStart + 1) % this.tail;
    if (this.omittedCount === 0) this.omittedFrom = old.t;
    this.omittedTo = old.t;
    this.omittedCount++;
    const k = `${old.dir} ${old.kind}`;
    this.omittedKinds.set(k, (this.omittedKinds.get(k) ?? 0) + 1);
  }

  /** The last entry added (to attach the bytes a send wrote). */
  last(): TranscriptEntry | undefined {
    if (this.ring.length > 0) return this.ring[(this.ringStart + this.ring.length - 1) % this.ring.length];
    return this.first.at(-1);
  }

  /** The kept entries in order, with one `omitted` note where entries were dropped. */
  entries(): TranscriptEntry[] {
    const tail = [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
    if (this.omittedCount === 0) return [...this.first, ...tail];
    const kinds = [...this.omittedKinds.entries()].sort((a, b) => b[1] - a[1]);
    const note: TranscriptEntry = {
      t: this.omittedFrom,
      dir: 'note',
      kind: 'omitted',
      name: `${this.omittedCount} entries not kept (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}), from ${this.omittedFrom} to ${this.omittedTo} ms: a case keeps its first ${this.head} and last ${this.tail} entries`,
      detail: { count: this.omittedCount, kinds: Object.fromEntries(kinds), fromMs: this.omittedFrom, toMs: this.omittedTo },
    };
    return [...this.first, note, ...tail];
  }
}

/** An entry that shows nothing but its kind and name (no decoded fields, no bytes). */
function sansPayload(e: TranscriptEntry): boolean {
  return e.detail === undefined && e.wire === undefined;
}
