/**
 * The shipped JSSE target (implementations/targets/jsse.yaml): the JsseTls wrapper on Java 17's SSLServerSocket
 * and SSLSocket, on a pass and a listed expected failure (a real deviation of JSSE, with its RFC sentence in the
 * config) in each role.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeShippedTarget } from './shipped-testing.ts';

// The compiled wrapper (`tls-harness install jsse` runs javac into jsse/build/, git-ignored): not a program on
// PATH, so it is named as the missing "binary" when it is not there.
const wrapper = fileURLToPath(new URL('../../implementations/targets/jsse/build/JsseTls.class', import.meta.url));

describeShippedTarget({
  target: 'jsse',
  binaries: existsSync(wrapper) ? ['java'] : ['java', wrapper],
  install: 'tls-harness install jsse',
  files: [
    'scenarios/server/tls13/rfc8446/client-hello-legacy-version-ssl3.yaml',
    'scenarios/server/tls13/rfc8446/client-hello-key-share-group-not-offered.yaml',
    'scenarios/client/tls12/rfc8446/server-hello-legacy-version.yaml',
    'scenarios/client/tls13/rfc8446/server-hello-supported-versions-prior.yaml',
  ],
  cases: {
    // server role: one JVM running JsseTls server
    'tls13-server-client-hello-legacy-version-ssl3': 'pass',
    'tls13-server-client-hello-key-share-group-not-offered': 'expected failure',
    // client role: a JVM per connection (JsseTls client)
    'tls12-client-server-hello-version-ssl3': 'pass',
    'tls13-client-server-hello-supported-versions-prior': 'expected failure',
  },
  // The JVM starts in 1-2 s (the server once, each client once per connection).
  timeoutMs: 20_000,
});
