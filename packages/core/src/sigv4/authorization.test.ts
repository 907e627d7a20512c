import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatSigV4Authorization,
  MAX_SIGV4_AUTHORIZATION_LENGTH,
  parseSigV4Authorization,
} from './authorization.js';

const SIGNATURE = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
// AWS test suite, get-vanilla.
const VANILLA = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`;

describe('parseSigV4Authorization', () => {
  it('reads the header every SigV4 signer writes', () => {
    assert.deepEqual(parseSigV4Authorization(VANILLA), {
      accessKeyId: 'AKIDEXAMPLE',
      date: '20150830',
      region: 'us-east-1',
      service: 'service',
      signedHeaders: ['host', 'x-amz-date'],
      signature: SIGNATURE,
    });
  });

  it('accepts commas without the space', () => {
    assert.equal(parseSigV4Authorization(VANILLA.replaceAll(', ', ','))?.accessKeyId, 'AKIDEXAMPLE');
  });

  it('round-trips through formatSigV4Authorization', () => {
    const parsed = parseSigV4Authorization(VANILLA);
    assert.ok(parsed);
    assert.equal(formatSigV4Authorization(parsed), VANILLA);
  });

  it('refuses anything else', () => {
    const variants = [
      VANILLA.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256'),
      VANILLA.replace('AWS4-HMAC-SHA256', 'aws4-hmac-sha256'),
      VANILLA.replace('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256  '),
      VANILLA.replace('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256\t'),
      `AWS AKIDEXAMPLE:${SIGNATURE}`,
      ` ${VANILLA}`,
      `${VANILLA} `,
      `${VANILLA},`,
      VANILLA.replace(', ', ',  '),
      VANILLA.replace('aws4_request', 'aws4_request2'),
      VANILLA.replace('/aws4_request', ''),
      VANILLA.replace('20150830', '2015083'),
      VANILLA.replace('20150830', '2015-08-30'),
      VANILLA.replace('AKIDEXAMPLE', ''),
      VANILLA.replace('AKIDEXAMPLE', 'AKID EXAMPLE'),
      VANILLA.replace('AKIDEXAMPLE', 'AKID/EXAMPLE'),
      VANILLA.replace('us-east-1', ''),
      VANILLA.replace('service/', 'ser,vice/'),
      VANILLA.replace('host;x-amz-date', 'Host;x-amz-date'),
      VANILLA.replace('host;x-amz-date', 'host;;x-amz-date'),
      VANILLA.replace('host;x-amz-date', 'host;'),
      VANILLA.replace('host;x-amz-date', ''),
      VANILLA.replace('host;x-amz-date', 'host, x-amz-date'),
      VANILLA.replace(SIGNATURE, SIGNATURE.toUpperCase()),
      VANILLA.replace(SIGNATURE, SIGNATURE.slice(1)),
      VANILLA.replace(SIGNATURE, `${SIGNATURE}0`),
      VANILLA.replace('Credential=', 'credential='),
      // Parameters reordered or repeated.
      `AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature=${SIGNATURE}`,
      `${VANILLA}, Signature=${SIGNATURE}`,
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date`,
      `${VANILLA}, ${VANILLA}`,
      '',
    ];
    for (const value of variants) assert.equal(parseSigV4Authorization(value), null, value);
    assert.equal(parseSigV4Authorization(undefined), null);
    assert.equal(parseSigV4Authorization(['a']), null);
  });

  it('refuses values over the length cap before matching', () => {
    const names = (count: number) =>
      Array.from({ length: count }, (_, index) => `h${index.toString().padStart(4, '0')}`).join(';');
    const fits = VANILLA.replace('host;x-amz-date', names(600));
    assert.ok(fits.length <= MAX_SIGV4_AUTHORIZATION_LENGTH);
    assert.equal(parseSigV4Authorization(fits)?.signedHeaders.length, 600);
    const long = VANILLA.replace('host;x-amz-date', names(700));
    assert.ok(long.length > MAX_SIGV4_AUTHORIZATION_LENGTH);
    assert.equal(parseSigV4Authorization(long), null);
  });

  it('never throws, and parses only what it would write again', () => {
    const near = fc
      .tuple(fc.nat({ max: VANILLA.length }), fc.string({ unit: 'binary', maxLength: 4 }), fc.nat({ max: 4 }))
      .map(([at, insert, drop]) => VANILLA.slice(0, at) + insert + VANILLA.slice(at + drop));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), near), (value) => {
        const parsed = parseSigV4Authorization(value);
        if (parsed !== null) assert.equal(formatSigV4Authorization(parsed), value.replaceAll(',S', ', S'));
      }),
      { numRuns: 2000 },
    );
  });
});
