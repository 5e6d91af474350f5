import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyCryptoOption } from './crypto-option.ts';
import { BUILTIN_CRYPTO_PROVIDER, makeConfig } from '../../implementations/reference/connection/config.ts';
import { UsageError } from '../errors.ts';
import { ALL_KEYS, cert, cli, cliAsync, startServes, type ServeProcess } from './serve-testing.ts';

describe('--crypto noble|node', () => {
  afterEach(() => applyCryptoOption('test', undefined));

  it('sets the provider of every configuration that names none; no flag is the built-in default', () => {
    applyCryptoOption('test', 'node');
    expect(makeConfig().provider.name).toBe('node');
    applyCryptoOption('test', 'noble');
    expect(makeConfig().provider.name).toBe('noble');
    applyCryptoOption('test', undefined);
    expect(makeConfig().provider).toBe(BUILTIN_CRYPTO_PROVIDER);
  });

  it('an unknown provider is a usage error naming the choices', () => {
    expect(() => applyCryptoOption('run', 'openssl')).toThrow(UsageError);
    expect(() => applyCryptoOption('run', 'openssl')).toThrow(/run: unknown --crypto 'openssl' \(expected noble or node\)/);
  });

  it('run, serve and connect: an unknown provider is one line and exit code 2', () => {
    for (const args of [['run', '--crypto', 'x'], ['serve', '--crypto', 'x', ...ALL_KEYS], ['connect', '127.0.0.1:9', '--insecure', '--crypto', 'x']]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/unknown --crypto 'x'/);
    }
  });
});

describe('serve --crypto node and connect --crypto node talk to each other and to the noble ones', () => {
  let node: ServeProcess;
  let noble: ServeProcess;
  beforeAll(async () => {
    [node, noble] = await startServes([[...ALL_KEYS, '--crypto', 'node'], [...ALL_KEYS, '--crypto', 'noble']]);
  });
  afterAll(async () => {
    await Promise.all([node?.stop(), noble?.stop()]);
  });

  for (const [server, client] of [['node', 'node'], ['node', 'noble'], ['noble', 'node']] as const) {
    it(`${client} client -> ${server} server, TLS 1.3 and TLS 1.2, resumed`, async () => {
      const port = (server === 'node' ? node : noble).port;
      for (const version of ['1.3', '1.2']) {
        const r = await cliAsync('connect', `localhost:${port}`, '--ca', cert('ca.pem'), '--crypto', client, '--json', '--resume', '--min-version', version, '--max-version', version);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, version: `TLSv${version}`, resumed: true, first: { resumed: false } });
      }
    }, 60_000);
  }
});
