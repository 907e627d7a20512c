import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveSigV4SigningKey, signStringToSign } from './signing-key.js';

// The example secret of AWS's documentation.
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('deriveSigV4SigningKey', () => {
  it('derives the signing keys published by AWS', () => {
    // AWS General Reference, "Task 3: Calculate the signature for AWS Signature Version 4"
    // (https://docs.aws.amazon.com/general/latest/gr/sigv4-calculate-signature.html): IAM in
    // us-east-1 on 2011-09-09 (older edition) and on 2015-08-30 (current edition).
    assert.equal(
      deriveSigV4SigningKey(SECRET, '20110909', 'us-east-1', 'iam').toString('hex'),
      '98f1d889fec4f4421adc522bab0ce1f82e6929c262ed15e5a94c90efd1e3b0e7',
    );
    assert.equal(
      deriveSigV4SigningKey(SECRET, '20150830', 'us-east-1', 'iam').toString('hex'),
      'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
    );
    // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    assert.equal(
      deriveSigV4SigningKey(SECRET, '20120215', 'us-east-1', 'iam').toString('hex'),
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });

  it('gives a different key for each day, region and service', () => {
    const keys = new Set(
      [
        deriveSigV4SigningKey(SECRET, '20150830', 'local', 'billing'),
        deriveSigV4SigningKey(SECRET, '20150831', 'local', 'billing'),
        deriveSigV4SigningKey(SECRET, '20150830', 'other', 'billing'),
        deriveSigV4SigningKey(SECRET, '20150830', 'local', 'billinG'),
        deriveSigV4SigningKey(`${SECRET}x`, '20150830', 'local', 'billing'),
      ].map((key) => key.toString('hex')),
    );
    assert.equal(keys.size, 5);
  });

  it('refuses inputs that could not appear in a credential scope', () => {
    assert.throws(() => deriveSigV4SigningKey('', '20150830', 'local', 'billing'), TypeError);
    assert.throws(() => deriveSigV4SigningKey(SECRET, '2015-08-30', 'local', 'billing'), TypeError);
    assert.throws(() => deriveSigV4SigningKey(SECRET, '20150830', 'lo/cal', 'billing'), TypeError);
    assert.throws(() => deriveSigV4SigningKey(SECRET, '20150830', 'local', ''), TypeError);
    assert.throws(() => deriveSigV4SigningKey(SECRET, '20150830', 'local', 'bill ing'), TypeError);
  });
});

describe('signStringToSign', () => {
  it('is the hex HMAC-SHA256 of the string under the derived key', () => {
    const key = deriveSigV4SigningKey(SECRET, '20150830', 'us-east-1', 'iam');
    assert.equal(signStringToSign(key, 'text'), createHmac('sha256', key).update('text').digest('hex'));
  });
});
