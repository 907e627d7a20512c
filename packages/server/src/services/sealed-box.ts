import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM encryption of secrets at rest. The `context` (what the secret belongs to, such
 * as a key id) is authenticated, so a sealed value moved to another record fails to open.
 *
 * @example const sealed = box.seal(privateJwkJson, `signing-key:${kid}`);
 */
export class SealedBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new TypeError('SealedBox needs a 32-byte key');
  }

  seal(plaintext: string | Buffer, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Throws when the value was altered, belongs to another context or another master key. */
  open(sealed: string, context: string): Buffer {
    const [version, iv, body] = sealed.split('.');
    if (version !== VERSION || iv === undefined || body === undefined) {
      throw new Error('sealed value has an unknown format');
    }
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
    } catch {
      throw new Error('sealed value failed to open: wrong master key, or the value was altered');
    }
  }
}
