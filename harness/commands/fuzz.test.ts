import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/tls-harness.js', import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tls-harness fuzz', () => {
  it('says what is wrong with a bad command line in one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-cli-'));
    const corpus = join(dir, 'corpus');
    mkdirSync(corpus);
    writeFileSync(join(corpus, 'bad.json'), '{ "setting": "server-tls13", ');
    for (const [args, message] of [
      [[], /fuzz: --target is required/],
      [['--target', 'reference', '--role', 'peer'], /fuzz: --role: expected server or client, got 'peer'/],
      [['--target', 'reference', '--version', 'tls11'], /fuzz: --version: expected tls13 or tls12, got 'tls11'/],
      [['--target', 'reference', '--runs', '0'], /fuzz: --runs: expected a positive integer/],
      [['--target', 'reference', '--corpus', corpus], /bad\.json:1:1: not JSON/],
      [['--target', 'no-such-target'], /no-such-target/],
    ] as const) {
      const r = cli(['fuzz', ...args, '--report-dir', dir]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('fuzzes the reference against itself: no finding, exit 0, a summary and findings.json; the corpus grows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-cli-'));
    const corpus = join(dir, 'corpus');
    const r = cli(['fuzz', '--target', 'reference', '--runs', '60', '--seed', '7', '--corpus', corpus, '--report-dir', dir, '--run-id', 'self']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tls-harness fuzz: reference as server, tls13 \+ tls12, seed 7, 60 conversations/);
    expect(r.stdout).toMatch(/fuzz self: 60 conversations in [\d.]+ s \(\d+\/s\), 0 findings \(0 written as scenarios\), \d+ reference rules reached/);
    const json = JSON.parse(readFileSync(join(dir, 'self', 'findings', 'findings.json'), 'utf8'));
    expect(json).toMatchObject({ target: 'reference', role: 'server', seed: 7, findings: [], summary: { conversations: 60, findings: 0, interrupted: false } });
    const saved = readdirSync(corpus).filter((f) => f.endsWith('.json'));
    expect(saved.length).toBeGreaterThan(3);
    // A second run reads the corpus back (and replays it first).
    const again = cli(['fuzz', '--target', 'reference', '--role', 'client', '--runs', '20', '--seed', '8', '--corpus', corpus, '--report-dir', dir, '--run-id', 'again']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/reference as client/);
  });

  it('--pcap: each finding replayed once more, recorded; tshark decrypts the capture with the key log inside it', (ctx) => {
    if (spawnSync('openssl', ['version']).status !== 0) {
      console.log('openssl not installed: fuzz --pcap against openssl not checked');
      return ctx.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-pcap-'));
    // The README's first finding against OpenSSL 3.0 (an early_data extension with a body in a TLS 1.2 ClientHello).
    const r = cli(['fuzz', '--target', 'openssl', '--role', 'server', '--version', 'tls13,tls12', '--seed', '1', '--replay', '26:2:1:1:2', '--pcap', '--report-dir', dir, '--run-id', 'p']);
    expect(r.code, r.stderr).toBe(1);
    const findings = join(dir, 'p', 'findings');
    const pcap = join(findings, 'pcap', 'fuzz-openssl-server-tls12-accepts-1.pcapng');
    expect(r.stdout).toContain(`capture of fuzz-openssl-server-tls12-accepts-1: ${pcap}`);
    expect(JSON.parse(readFileSync(join(findings, 'findings.json'), 'utf8')).findings[0].pcap).toBe(pcap);
    expect(readFileSync(join(findings, 'keylog.txt'), 'utf8')).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
    if (spawnSync('tshark', ['--version']).status !== 0) {
      console.log('tshark not installed: decryption of the fuzz capture not checked (apt-get install tshark)');
      return;
    }
    // The key log is in the file (a decryption secrets block): no -o tls.keylog_file needed.
    const t = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tls.handshake.type', '-e', 'tls.handshake.extension.type'], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    const fields = t.stdout.split(/[\s,]+/);
    expect(fields).toContain('20'); // Finished, encrypted: decrypted
    expect(fields).toContain('42'); // the early_data extension the finding is about, in the ClientHello
  });

  it('keeps what it has on Ctrl-C: findings.json written, exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-cli-'));
    const child = spawn(process.execPath, [bin, 'fuzz', '--target', 'reference', '--seconds', '120', '--seed', '3', '--report-dir', dir, '--run-id', 'int'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (/tls-harness fuzz: reference as server/.test(stderr)) {
          clearInterval(check);
          setTimeout(resolve, 1500);
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted; keeping the findings so far/);
    const file = join(dir, 'int', 'findings', 'findings.json');
    expect(existsSync(file)).toBe(true);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json.summary.interrupted).toBe(true);
    // However far it got (under load the bases may still be running when the signal comes).
    expect(json.summary.conversations).toBeGreaterThanOrEqual(0);
    expect(json.findings).toEqual([]);
  });
});
