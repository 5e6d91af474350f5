/**
 * The shipped mbedTLS target (implementations/targets/mbedtls.yaml): lighttpd with mod_mbedtls and the libmbedtls
 * client (mbedtls/client.c) on a pass and a listed expected failure (a real deviation of mbedTLS 2.28, with its RFC
 * sentence in the config) in each role. TLS 1.2 only.
 */
import { describeShippedTarget } from './shipped-testing.ts';

describeShippedTarget({
  target: 'mbedtls',
  binaries: ['lighttpd', 'implementations/targets/mbedtls/bin/mbedtls-client'],
  install: 'tls-harness install mbedtls',
  files: [
    'scenarios/server/tls12/rfc8422/client-hello-no-common-curve.yaml',
    'scenarios/server/tls12/rfc5246/client-hello-without-extensions.yaml',
    'scenarios/client/tls12/rfc5246/handshake-full.yaml',
    'scenarios/client/tls12/rfc5246/client-auth.yaml',
  ],
  cases: {
    // server role (lighttpd + mod_mbedtls)
    'tls12-server-client-hello-no-common-curve': 'pass',
    // handshake_failure for an RSA key exchange ClientHello without extensions
    'tls12-server-client-hello-without-extensions[cipher_suite=TLS_RSA_WITH_AES_128_GCM_SHA256]': 'expected failure',
    // client role (mbedtls-client)
    'tls12-client-handshake-full[cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]': 'pass',
    // its P-256 certificate sent for a CertificateRequest that asks only for rsa_fixed_dh
    'tls12-client-auth-no-suitable-certificate': 'expected failure',
  },
});
