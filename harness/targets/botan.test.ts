/**
 * The shipped Botan target (implementations/targets/botan.yaml): `botan tls_server` and the libbotan-2 client
 * (botan/client.cpp) on a pass and a listed expected failure (a real deviation of Botan 2.19, with its RFC sentence
 * in the config) in each role. TLS 1.2 only.
 */
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'botan',
  binaries: ['botan', 'implementations/targets/botan/bin/botan-client'],
  install: 'tls-harness install botan',
  files: [
    'scenarios/server/tls12/rfc8422/client-hello-no-common-curve.yaml',
    'scenarios/server/tls12/rfc8422/client-hello-point-formats-no-uncompressed.yaml',
    'scenarios/client/tls12/rfc5246/handshake-full.yaml',
    'scenarios/client/tls12/rfc8422/server-key-exchange-invalid-point.yaml',
  ],
  cases: {
    // server role (botan tls_server)
    'tls12-server-client-hello-no-common-curve': 'pass',
    'tls12-server-client-hello-point-formats-no-uncompressed[format=1]': 'expected failure',
    // client role (botan-client)
    'tls12-client-handshake-full[cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]': 'pass',
    // Botan goes on with a random pre-master secret when the X25519 result is all zeros
    'tls12-client-server-key-exchange-x25519-zero': 'expected failure',
  },
});
