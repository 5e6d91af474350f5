import { readFileSync } from 'node:fs';
import { parsePrivateKey, publicKeyOf, unwrapKey } from './implementations/reference/crypto/keys.ts';
import { nodeProvider as node } from './implementations/reference/crypto/node/index.ts';
import { nobleProvider as noble } from './implementations/reference/crypto/noble/index.ts';
const k = unwrapKey(parsePrivateKey(readFileSync('implementations/reference/certs/server-p256.key', 'utf8')));
const pub = publicKeyOf(k) as any;
const msg = Uint8Array.of(9);
const sig = noble.sign('ecdsa_secp256r1_sha256', k, msg);
const off = Uint8Array.from(pub.point); off[64] ^= 1;
console.log(node.verify('ecdsa_secp256r1_sha256', { ...pub, point: off }, msg, sig), noble.verify('ecdsa_secp256r1_sha256', { ...pub, point: off }, msg, sig));
import { createPublicKey } from 'node:crypto';
const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), off]);
try { const kk = createPublicKey({ key: spki, format: 'der', type: 'spki' }); console.log('imported', kk.asymmetricKeyDetails, kk.export({format:'jwk'})); } catch (e) { console.log('err', (e as Error).message); }
