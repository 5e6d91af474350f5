/**
 * The handshake transcript hash (RFC 8446 4.4.1): Hash(Handshake messages so far), computed incrementally.
 *
 * A client does not know the hash until the ServerHello names the cipher suite, so messages are kept until
 * `start(hash)`; after that each is hashed as it is added and the raw list is kept only for the record of
 * the conversation. A HelloRetryRequest replaces ClientHello1 with a synthetic message_hash message.
 */
import type { CryptoProvider, HashName, HashState } from '../crypto/provider.ts';
import { HandshakeType } from '../codec/enums.ts';

export class Transcript {
  private state: HashState | undefined;
  private hashName: HashName | undefined;
  private readonly pending: Uint8Array[] = [];
  /** Every message added, in order (raw, with its 4-byte header). */
  readonly messages: Uint8Array[] = [];

  constructor(private readonly provider: CryptoProvider) {}

  get hash(): HashName | undefined {
    return this.hashName;
  }

  /** Fix the hash function; messages added before are hashed now. */
  start(hash: HashName): void {
    if (this.hashName !== undefined) return;
    this.hashName = hash;
    this.state = this.provider.createHash(hash);
    for (const m of this.pending) this.state.update(m);
    this.pending.length = 0;
  }

  add(raw: Uint8Array): void {
    this.messages.push(raw);
    if (this.state) this.state.update(raw);
    else this.pending.push(raw);
  }

  /** Transcript-Hash of everything added so far. */
  current(): Uint8Array {
    if (!this.state) throw new Error('transcript hash used before the hash function is known');
    return this.state.digest();
  }

  /** Transcript-Hash of everything so far plus `extra` (e.g. a ClientHello truncated before its binders). */
  with(extra: Uint8Array): Uint8Array {
    if (!this.state) throw new Error('transcript hash used before the hash function is known');
    return this.state.clone().update(extra).digest();
  }

  /** Forget everything: a TLS 1.2 renegotiation starts a new handshake_messages (RFC 5246 7.4.9) on the same connection. */
  reset(): void {
    this.state = undefined;
    this.hashName = undefined;
    this.pending.length = 0;
    this.messages.length = 0;
  }

  /**
   * RFC 8446 4.4.1: when the server responds to a ClientHello with a HelloRetryRequest, the value of
   * ClientHello1 is replaced with a special synthetic handshake message of handshake type "message_hash"
   * containing Hash(ClientHello1).
   */
  replaceWithMessageHash(): void {
    if (!this.hashName) throw new Error('message_hash needs the hash function');
    const all = [...this.messages];
    const first = all.shift();
    if (!first) throw new Error('message_hash with an empty transcript');
    const digest = this.provider.hash(this.hashName, first);
    const synthetic = new Uint8Array(4 + digest.length);
    synthetic[0] = HandshakeType.message_hash;
    synthetic[3] = digest.length;
    synthetic.set(digest, 4);
    this.messages.length = 0;
    this.state = this.provider.createHash(this.hashName);
    this.add(synthetic);
    for (const m of all) this.add(m);
  }
}
