import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExtractError, RFC8448_DIR, RFC_TEXT_PATH, SECTIONS, extract, type TraceFile } from './extract.ts';

const rfcText = readFileSync(RFC_TEXT_PATH, 'utf8');
const extraction = extract(rfcText);
const bySection = new Map(extraction.files.map((f) => [f.data.section, f.data]));
const section = (n: string): TraceFile => {
  const d = bySection.get(n);
  if (!d) throw new Error(`no section ${n}`);
  return d;
};
const step = (n: string, action: string, actor?: 'client' | 'server', occurrence = 0) =>
  section(n).steps.filter((s) => s.action === action && (actor === undefined || s.actor === actor))[occurrence];

describe('RFC 8448 extraction', () => {
  it('the committed JSON files equal a fresh extraction of rfc8448.txt', () => {
    expect(extraction.files.map((f) => f.file)).toEqual(SECTIONS.map((s) => s.file));
    for (const { file, data } of extraction.files) {
      const committed = JSON.parse(readFileSync(join(RFC8448_DIR, file), 'utf8'));
      expect(committed, file).toEqual(JSON.parse(JSON.stringify(data)));
    }
  });

  it('has the expected number of steps, records and messages per section', () => {
    const counts = extraction.files.map(({ data }) => [data.section, data.numberOfTests, data.steps.length, data.records.length, data.messages.length]);
    expect(counts).toEqual([
      ['3', 55, 55, 9, 8],
      ['4', 60, 60, 10, 6],
      ['5', 54, 54, 8, 9],
      ['6', 52, 52, 6, 10],
      ['7', 51, 51, 8, 7],
    ]);
    // Every step line of sections 3-7 ({client} / {server} at column 3) is accounted for.
    const lines = rfcText.split('\n');
    const start = lines.indexOf('3.  Simple 1-RTT Handshake');
    const end = lines.indexOf('8.  Security Considerations');
    const stepLines = lines.slice(start, end).filter((l) => /^ {3}\{(client|server)\}/.test(l)).length;
    expect(stepLines).toBe(272);
    expect(extraction.files.reduce((n, f) => n + f.data.steps.length, 0)).toBe(stepLines);
    expect(extraction.duplicates).toEqual([]);
  });

  it('section 3: client x25519 key pair, ClientHello, early secret', () => {
    const kp = section('3').steps[0];
    expect(kp).toMatchObject({ index: 0, line: 160, actor: 'client', action: 'create an ephemeral x25519 key pair' });
    expect(kp.values['private key']).toBe('49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005');
    expect(kp.values['public key']).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');

    const ch = step('3', 'construct a ClientHello handshake message', 'client').values.ClientHello;
    // 196 octets: a 4-octet handshake header and a 192-octet (0xc0) body.
    expect(ch.length / 2).toBe(196);
    expect(ch.startsWith('010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7')).toBe(true);
    expect(ch.endsWith('002d00020101001c00024001')).toBe(true);
    expect(section('3').messages[0]).toMatchObject({ actor: 'client', name: 'ClientHello', hex: ch, epoch: 'plaintext' });

    const early = step('3', 'extract secret "early"', 'server');
    expect(early.values).toEqual({
      salt: '00'.repeat(32),
      IKM: '00'.repeat(32),
      secret: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a',
    });
    expect(early.text).toEqual({ salt: '0 (all zero octets)' });

    const derived = step('3', 'derive secret for handshake "tls13 derived"', 'server');
    expect(derived.values.expanded).toBe('6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba');
    expect(derived.values.info).toBe(
      '00200d746c73313320646572697665642' + '0e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('section 3: values split across a page break and wrapped actions', () => {
    // The server Certificate (445 octets) straddles the page 7/8 break.
    const cert = step('3', 'construct a Certificate handshake message', 'server').values.Certificate;
    expect(cert.length / 2).toBe(445);
    expect(cert.slice(0, 16)).toBe('0b0001b9000001b5');
    expect(cert.endsWith('1d402dcc0cc8f8961229ac9187b42b4de10000')).toBe(true);
    // Empty hash of "tls13 finished".
    expect(step('3', 'calculate finished "tls13 finished"', 'server').values.hash).toBe('');
    // A step action wrapped over two lines, without values.
    const wrapped = section('3').steps.find((s) => s.action.startsWith('derive read traffic keys for handshake data (same as'));
    expect(wrapped).toMatchObject({
      actor: 'client',
      action: 'derive read traffic keys for handshake data (same as server handshake data write traffic keys)',
      values: {},
    });
    const nst = section('3').messages.at(-1)!;
    expect(nst).toMatchObject({ actor: 'server', name: 'NewSessionTicket', phase: 'post-handshake', epoch: 'application' });
    expect(nst.hex.length / 2).toBe(205);
  });

  it('section 4: resumes section 3 (PSK, binder, 0-RTT data, EndOfEarlyData)', () => {
    const resumption = step('3', 'generate resumption secret "tls13 resumption"', 'server').values.expanded;
    expect(resumption).toBe('4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3');
    expect(step('4', 'extract secret "early"', 'client').values.IKM).toBe(resumption);

    const binder = step('4', 'calculate PSK binder', 'client');
    const constructed = step('4', 'construct a ClientHello handshake message', 'client').values.ClientHello;
    expect(constructed.length / 2).toBe(477);
    expect(binder.values['ClientHello prefix']).toBe(constructed);
    const ch = section('4').messages[0];
    expect(ch.name).toBe('ClientHello');
    expect(ch.hex.length / 2).toBe(512);
    expect(ch.hex.startsWith(constructed)).toBe(true);
    expect(ch.note).toMatch(/first 477 octets/);
    // The binder (finished) ends the full ClientHello.
    expect(ch.hex.endsWith(`0021` + `20` + binder.values.finished)).toBe(true);
    // The ticket of section 3's NewSessionTicket is the PSK identity.
    const nst = section('3').messages.at(-1)!.hex;
    // header(4) lifetime(4) age_add(4) nonce<1>(1 + 2) ticket<2>
    expect(nst.slice(24, 30)).toBe('020000');
    const ticketLen = parseInt(nst.slice(30, 34), 16);
    expect(ticketLen).toBe(178);
    const ticket = nst.slice(34, 34 + 2 * ticketLen);
    expect(ch.hex).toContain(ticket);

    expect(section('4').messages.map((m) => [m.actor, m.name, m.epoch])).toEqual([
      ['client', 'ClientHello', 'plaintext'],
      ['server', 'ServerHello', 'plaintext'],
      ['server', 'EncryptedExtensions', 'handshake'],
      ['server', 'Finished', 'handshake'],
      ['client', 'EndOfEarlyData', 'early'],
      ['client', 'Finished', 'handshake'],
    ]);
    const early = section('4').records.filter((r) => r.phase === 'early-data');
    expect(early).toHaveLength(1);
    expect(early[0]).toMatchObject({ actor: 'client', contentType: 'application_data', epoch: 'early', payload: '414243444546' });
  });

  it('section 5: two ClientHellos around a HelloRetryRequest', () => {
    const ms = section('5').messages;
    expect(ms.map((m) => [m.actor, m.name, m.phase])).toEqual([
      ['client', 'ClientHello', 'hello-retry'],
      ['server', 'HelloRetryRequest', 'hello-retry'],
      ['client', 'ClientHello', 'handshake'],
      ['server', 'ServerHello', 'handshake'],
      ['server', 'EncryptedExtensions', 'handshake'],
      ['server', 'Certificate', 'handshake'],
      ['server', 'CertificateVerify', 'handshake'],
      ['server', 'Finished', 'handshake'],
      ['client', 'Finished', 'handshake'],
    ]);
    expect(ms[1].hex.slice(12, 76)).toBe('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
    // The RFC labels the HelloRetryRequest "ServerHello".
    expect(Object.keys(section('5').steps[ms[1].constructStep].values)).toEqual(['ServerHello']);
    expect(section('5').features.groups).toEqual(['x25519', 'P-256']);
    expect(step('5', 'create an ephemeral P-256 key pair', 'client').values['public key'].length / 2).toBe(65);
  });

  it('section 6: CertificateRequest and client Certificate / CertificateVerify', () => {
    expect(section('6').messages.map((m) => `${m.actor} ${m.name}`)).toEqual([
      'client ClientHello',
      'server ServerHello',
      'server EncryptedExtensions',
      'server CertificateRequest',
      'server Certificate',
      'server CertificateVerify',
      'server Finished',
      'client Certificate',
      'client CertificateVerify',
      'client Finished',
    ]);
    // One protected client record carries Certificate, CertificateVerify and Finished.
    const last = section('6').records.filter((r) => r.contentType === 'handshake').at(-1)!;
    expect(last).toMatchObject({ actor: 'client', epoch: 'handshake', messages: [7, 8, 9] });
  });

  it('section 7: change_cipher_spec records (not handshake messages)', () => {
    const ccs = section('7').records.filter((r) => r.contentType === 'change_cipher_spec');
    expect(ccs.map((r) => [r.actor, r.payload, r.completeRecord, r.epoch])).toEqual([
      ['server', '01', '140303000101', 'plaintext'],
      ['client', '01', '140303000101', 'plaintext'],
    ]);
    expect(section('7').records.map((r) => `${r.actor} ${r.contentType}`)).toEqual([
      'client handshake',
      'server handshake',
      'server change_cipher_spec',
      'server handshake',
      'client change_cipher_spec',
      'client handshake',
      'client alert',
      'server alert',
    ]);
    expect(section('7').messages.some((m) => m.name === 'ChangeCipherSpec')).toBe(false);
    // Non-empty legacy_session_id (32 octets), echoed by the server.
    const [ch, sh] = section('7').messages;
    expect(ch.hex.slice(76, 78)).toBe('20');
    expect(sh.hex.slice(78, 78 + 64)).toBe(ch.hex.slice(78, 78 + 64));
  });

  it('every handshake record payload is exactly the concatenation of its messages', () => {
    for (const { data } of extraction.files) {
      for (const r of data.records.filter((x) => x.contentType === 'handshake')) {
        expect(r.messages!.map((i) => data.messages[i].hex).join(''), `${data.section} record ${r.index}`).toBe(r.payload);
      }
    }
  });
});

describe('RFC 8448 extractor fails loudly', () => {
  const lines = rfcText.split('\n');
  const mutate = (lineNo: number, f: (l: string) => string | string[]): string =>
    lines.flatMap((l, i) => (i === lineNo - 1 ? f(l) : [l])).join('\n');
  const expectError = (text: string, line: number, message: RegExp): void => {
    let err: unknown;
    try {
      extract(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExtractError);
    expect((err as ExtractError).line).toBe(line);
    expect((err as ExtractError).message).toMatch(message);
  };

  it('on a wrong octet count', () => {
    expect(lines[161]).toMatch(/^ {6}private key \(32 octets\):/);
    expectError(mutate(162, (l) => l.replace('(32 octets)', '(31 octets)')), 162, /declares 31 octets but its hex has 32/);
  });

  it('on a missing hex line', () => {
    expectError(mutate(163, () => []), 162, /declares 32 octets but its hex has 13 octets/);
  });

  it('on a line it does not understand inside a step', () => {
    expectError(mutate(163, (l) => [l, '         zz 00']), 164, /line not understood/);
    expectError(mutate(163, (l) => [l, '', '   Some prose in the middle of a trace.']), 165, /line not understood/);
  });

  it('on a hex continuation after a blank line that is not a page break', () => {
    expectError(mutate(163, (l) => ['', l]), 164, /after a blank line/);
  });
});
