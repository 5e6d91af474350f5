/**
 * The shipped wolfSSL target (implementations/targets/wolfssl.yaml): lighttpd with mod_wolfssl and the libwolfssl
 * client (wolfssl/client.c) on a pass and a listed expected failure (a real deviation of wolfSSL 5.5, with its RFC
 * sentence in the config) in each role.
 */
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'wolfssl',
  binaries: ['lighttpd', 'implementations/targets/wolfssl/bin/wolfssl-client'],
  install: 'tls-harness install wolfssl',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
    'scenarios/server/tls13/rfc8446/change-cipher-spec-protected.yaml',
    'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
    'scenarios/client/tls13/rfc8446/server-hello-cipher-suite-not-offered.yaml',
  ],
  cases: {
    // server role (lighttpd + mod_wolfssl)
    'tls13-server-client-hello-legacy-version-ssl3': 'pass',
    // illegal_parameter where RFC 8446 5 names unexpected_message
    'tls13-server-change-cipher-spec-protected': 'expected failure',
    // client role (wolfssl-client)
    'tls12-client-server-hello-version-ssl3': 'pass',
    // it closes without an alert
    'tls13-client-server-hello-cipher-suite-not-offered': 'expected failure',
  },
});
