import { hkdfSync } from 'node:crypto';

/** The purposes the master key serves; each gets its own subkey so no two uses share a key. */
export type KeyPurpose = 'seal' | 'secret-mac' | 'secret-hash' | 'csrf' | 'refresh-successor' | 'dpop-nonce';

/** Derives a 32-byte subkey of the master key for one purpose (HKDF-SHA256). */
export function deriveKey(masterKey: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `tessera/v1/${purpose}`, 32));
}
