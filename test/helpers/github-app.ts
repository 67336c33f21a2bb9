import { generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A GitHub App's key pair for tests: the PEM private key (PKCS#1, as GitHub issues it) Driftless signs with, the public key the stand-in verifies with. */
export function testAppKey(): { privateKey: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}
