/**
 * The shipped GnuTLS target (implementations/targets/gnutls.yaml): gnutls-serv and gnutls-cli on a pass and a
 * listed expected failure (a real deviation of GnuTLS 3.7, with its RFC sentence in the config) in each role.
 */
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'gnutls',
  binaries: ['gnutls-serv', 'gnutls-cli'],
  install: 'tls-harness install gnutls',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
    'scenarios/server/tls13/rfc8446/client-hello-key-share-without-supported-groups.yaml',
    'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
    'scenarios/client/tls13/rfc8446/encrypted-extensions-forbidden-extension.yaml',
  ],
  cases: {
    // server role (gnutls-serv)
    'tls13-server-client-hello-legacy-version-ssl3': 'pass',
    'tls13-server-client-hello-key-share-without-supported-groups': 'expected failure',
    // client role (gnutls-cli): it sends protocol_version, then closes with the rest of the flight unread (a
    // reset that must not hide the alert)
    'tls12-client-server-hello-version-ssl3': 'pass',
    'tls13-client-encrypted-extensions-forbidden-extension': 'expected failure',
  },
});
