/**
 * `record: { cbc: {...} }` of a step as the options of the write protection's encrypt (RFC 5246 6.2.3.2), for
 * padding-oracle and Lucky13 tests. Checked here against the records actually being written, so a step whose
 * records are not TLS 1.2 CBC records (TLS 1.3, an AEAD suite, no keys yet) is a scenario error rather than
 * a record quietly built some other way.
 */
import { Tls12CbcRecordProtection, type EncryptOptions } from '../../implementations/reference/crypto/record-protection.ts';
import type { RecordLayer } from '../../implementations/reference/connection/record-layer.ts';
import type { CbcRecordOptions } from '../scenario/model.ts';
import { ScenarioRuntimeError } from './fields.ts';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/**
 * The encrypt options for the records of one send, or undefined without `cbc`. A padding that does not fill
 * the block is sent as the scenario asks (unchecked: a ciphertext that is not a whole number of blocks).
 */
export function cbcEncryptOptions(rl: RecordLayer, cbc: CbcRecordOptions | undefined): EncryptOptions | undefined {
  if (!cbc) return undefined;
  const prot = rl.writeProtection;
  if (!(prot instanceof Tls12CbcRecordProtection)) {
    const what = prot === null ? 'no write keys yet: they go in the clear' : prot.kind === 'tls13' ? 'TLS 1.3 records' : 'TLS 1.2 AEAD records';
    throw new ScenarioRuntimeError(`record.cbc needs TLS 1.2 CBC records (a CBC cipher suite, after ChangeCipherSpec): these are ${what}`);
  }
  const out: EncryptOptions = { unchecked: true };
  if (cbc.padding_length !== undefined) out.padding = cbc.padding_length;
  if (cbc.padding !== undefined) out.paddingBytes = bytes(cbc.padding);
  if (cbc.padding_length_byte !== undefined) out.paddingLengthByte = cbc.padding_length_byte;
  if (cbc.iv !== undefined) {
    out.iv = bytes(cbc.iv);
    // RFC 5246 6.2.3.2: the IV is record_iv_length = block_size bytes.
    if (out.iv.length !== prot.blockLength) throw new ScenarioRuntimeError(`record.cbc.iv is ${out.iv.length} bytes: the IV of this suite is ${prot.blockLength}`);
  }
  if (cbc.mac_xor) {
    const { at } = cbc.mac_xor;
    if (at >= prot.macLength || at < -prot.macLength) throw new ScenarioRuntimeError(`record.cbc.mac_xor.at ${at} is outside the ${prot.macLength}-byte MAC of this suite`);
    out.macXor = { ...cbc.mac_xor };
  }
  return out;
}
