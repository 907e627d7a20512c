import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalHeaderValue,
  canonicalRequest,
  credentialScope,
  EMPTY_BODY_SHA256,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';

describe('canonicalRequest', () => {
  it('lays out the AWS test suite get-vanilla request', () => {
    // AWS Signature Version 4 test suite, get-vanilla.creq and get-vanilla.sts.
    const canonical = canonicalRequest({
      method: 'GET',
      canonicalPath: '/',
      canonicalQuery: '',
      headers: [
        ['host', 'example.amazonaws.com'],
        ['x-amz-date', '20150830T123600Z'],
      ],
      payloadHash: EMPTY_BODY_SHA256,
    });
    assert.equal(
      canonical,
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      stringToSign('20150830T123600Z', credentialScope('20150830', 'us-east-1', 'service'), canonical),
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
  });

  it('has the hash of the empty body as EMPTY_BODY_SHA256', () => {
    assert.equal(sha256Hex(''), EMPTY_BODY_SHA256);
    assert.equal(sha256Hex(new Uint8Array()), EMPTY_BODY_SHA256);
  });
});

describe('canonicalHeaderValue', () => {
  it('trims and collapses spaces and tabs, inside quotes too', () => {
    assert.equal(canonicalHeaderValue(' value1'), 'value1');
    assert.equal(canonicalHeaderValue(' "a   b   c"'), '"a b c"');
    assert.equal(canonicalHeaderValue('\ta \t b\t'), 'a b');
    assert.equal(canonicalHeaderValue('value4,value1,value3,value2'), 'value4,value1,value3,value2');
    assert.equal(canonicalHeaderValue(''), '');
    assert.equal(canonicalHeaderValue('   '), '');
  });
});
