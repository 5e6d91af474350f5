/**
 * The shipped rustls target (implementations/targets/rustls.yaml): the rustls-tls wrapper on rustls 0.20, server
 * and client, on a pass and a listed expected failure (a real deviation of rustls 0.20, with its RFC sentence in
 * the config) in each role.
 */
import { fileURLToPath } from 'node:url';
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'rustls',
  // The wrapper, built offline by `tls-harness install rustls` (rustls/build/ is git-ignored).
  binaries: [fileURLToPath(new URL('../../implementations/targets/rustls/build/rustls-tls', import.meta.url))],
  install: 'tls-harness install rustls',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-compression-methods-extra.yaml',
    'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
    'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
    'scenarios/client/tls13/rfc8446/server-hello-cipher-suite-not-offered.yaml',
  ],
  cases: {
    // server role: the rustls-tls server
    'tls13-server-client-hello-compression-methods-extra': 'pass',
    'tls13-server-client-hello-legacy-version-ssl3': 'expected failure',
    // client role: the rustls-tls client
    'tls12-client-server-hello-version-ssl3': 'pass',
    'tls13-client-server-hello-cipher-suite-not-offered': 'expected failure',
  },
});
