import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const TAG_BYTES = 16;

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
    const parts = sealed.split('.');
    const [version, iv, body] = parts;
    if (parts.length !== 3 || version !== VERSION || iv === undefined || body === undefined) {
      throw new Error('sealed value has an unknown format');
    }
    const bytes = Buffer.from(body, 'base64url');
    const nonce = Buffer.from(iv, 'base64url');
    if (bytes.length < TAG_BYTES || nonce.length !== 12)
      throw new Error('sealed value has an unknown format');
    // The tag length is pinned: GCM would otherwise accept a truncated, forgeable tag.
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error('sealed value failed to open: wrong master key, or the value was altered');
    }
  }
}
