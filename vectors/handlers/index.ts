import type { VectorHandler } from '../runner.ts';
// symmetric (AEAD, HKDF, HMAC, AES-CBC, TLS 1.2 PRF)
import { aeadHandler } from './aead.ts';
import { hkdfHandler } from './hkdf.ts';
import { macHandler } from './mac.ts';
import { indCpaHandler } from './ind-cpa.ts';
import { tls12PrfHandler } from './tls12-prf.ts';
// asymmetric (X25519, ECDH, ECDSA, EdDSA, RSA)
import { xdhHandler } from './xdh.ts';
import { ecdhHandler } from './ecdh.ts';
import { ecdsaHandler } from './ecdsa.ts';
import { eddsaHandler } from './eddsa.ts';
import { rsaesPkcs1Handler } from './rsaes-pkcs1.ts';
import { rsassaPssHandler } from './rsassa-pss.ts';
import { rsassaPkcs1Handler } from './rsassa-pkcs1.ts';
import { rfc7748Handler } from './rfc7748.ts';
// protocol traces (RFC 8448)
import { rfc8448TraceHandler } from './rfc8448-trace.ts';
import { rfc8448ReplayHandler } from './rfc8448-replay.ts';
// protocol traces (TLS 1.2, recorded from OpenSSL)
import { tls12TraceHandler } from './tls12-trace.ts';

/** Every vector handler, one per kind of file. Add new handlers here. */
export const handlers: VectorHandler[] = [
  // symmetric
  aeadHandler,
  hkdfHandler,
  macHandler,
  indCpaHandler,
  tls12PrfHandler,
  // asymmetric
  xdhHandler,
  ecdhHandler,
  ecdsaHandler,
  eddsaHandler,
  rsaesPkcs1Handler,
  rsassaPssHandler,
  rsassaPkcs1Handler,
  rfc7748Handler,
  // protocol traces
  rfc8448TraceHandler,
  rfc8448ReplayHandler,
  tls12TraceHandler,
];
