/**
 * The shipped NSS target (implementations/targets/nss.yaml: selfserv / tstclnt through the scripts in nss/): a
 * pass and a listed expected failure (a real deviation of NSS 3.87, with its RFC sentence in the config) in each
 * role.
 */
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'nss',
  binaries: ['selfserv', 'tstclnt', 'certutil', 'pk12util'],
  install: 'tls-harness install nss',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
    'scenarios/server/tls13/rfc8446/key-update-bad-request-update.yaml',
    'scenarios/examples/tls13-client-rejects-hrr-same-group.yaml',
    'scenarios/client/tls13/rfc8446/hrr-no-change.yaml',
  ],
  cases: {
    // server role (selfserv)
    'tls13-server-client-hello-legacy-version-ssl3': 'pass',
    'tls13-server-key-update-bad-request-update': 'expected failure',
    // client role (tstclnt)
    'tls13-client-rejects-hrr-same-group': 'pass',
    'tls13-client-hrr-no-change': 'expected failure',
  },
});
