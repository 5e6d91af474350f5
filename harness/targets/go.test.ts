/**
 * The shipped Go target (implementations/targets/go.yaml): the go-tls wrapper on crypto/tls, server and client,
 * on a pass and a listed expected failure (a real deviation of Go 1.19's crypto/tls, with its RFC sentence in
 * the config) in each role.
 */
import { describeShippedTarget } from './shipped-testing.ts';
import { fileURLToPath } from 'node:url';

describeShippedTarget({
  target: 'go',
  // The wrapper, built by `tls-harness install go` (go/build/ is git-ignored).
  binaries: [fileURLToPath(new URL('../../implementations/targets/go/build/go-tls', import.meta.url))],
  install: 'tls-harness install go',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-compression-methods-extra.yaml',
    'scenarios/server/tls13/rfc8446/client-hello-key-share-group-not-offered.yaml',
    'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
    'scenarios/client/tls13/rfc8446/server-hello-legacy-version-ssl3.yaml',
  ],
  cases: {
    // server role: the go-tls server
    'tls13-server-client-hello-compression-methods-extra': 'pass',
    'tls13-server-client-hello-key-share-group-not-offered': 'expected failure',
    // client role: the go-tls client
    'tls12-client-server-hello-version-ssl3': 'pass',
    'tls13-client-server-hello-legacy-version-ssl3': 'expected failure',
  },
});
