/**
 * AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30
 * edition, linked from https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html):
 * credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service
 * "service", 2015-08-30T12:36:00Z. Each case gives the request, its canonical request
 * (.creq), the hash at the end of the string to sign (.sts) and the signature (.authz).
 * Targets are written as they travel on the wire, percent-encoded, which is what a server
 * receives. Values as carried by the aws4 project's copy of the suite, each confirmed here
 * by its own signature. Plus the "GET Object" example of the S3 API Reference ("Signature
 * Calculations for the Authorization Header: Transferring Payload in a Single Chunk").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalHeaderValue,
  canonicalRequest,
  credentialScope,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';
import { canonicalPath, canonicalQuery, splitRequestTarget } from './canonical-target.js';
import { deriveSigV4SigningKey, signStringToSign } from './signing-key.js';
import { verifySigV4Request } from './verify-request.js';

interface Vector {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  /** Request headers in the order sent, without Authorization. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
  readonly creq: string;
  readonly stsHash: string;
  readonly signedHeaders: string;
  readonly signature: string;
  /** How our verifier matches it: `curl7` for the cases signed over an unencoded raw path. */
  readonly canonicalization: 'sigv4' | 'curl7';
  readonly secret?: string;
  readonly accessKeyId?: string;
  readonly region?: string;
  readonly service?: string;
  readonly amzDate?: string;
}

const AMZ_DATE = '20150830T123600Z';
const HOST = ['Host', 'example.amazonaws.com'] as const;
const DATE = ['X-Amz-Date', AMZ_DATE] as const;
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const creq = (...lines: string[]) => lines.join('\n');
const STS_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

const vanillaHeaders = 'host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n';

const VECTORS: Vector[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    target: '/',
    headers: [HOST, DATE],
    creq: creq('GET', '/', '', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-empty-query-key',
    method: 'GET',
    target: '/?Param1=value1',
    headers: [HOST, DATE],
    creq: creq('GET', '/', 'Param1=value1', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab',
    signedHeaders: 'host;x-amz-date',
    signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-query-order-key',
    method: 'GET',
    target: '/?Param1=value2&Param1=Value1',
    headers: [HOST, DATE],
    creq: creq('GET', '/', 'Param1=Value1&Param1=value2', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89',
    signedHeaders: 'host;x-amz-date',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    target: '/?Param2=value2&Param1=value1',
    headers: [HOST, DATE],
    creq: creq('GET', '/', 'Param1=value1&Param2=value2', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0',
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-query-order-value',
    method: 'GET',
    target: '/?Param1=value2&Param1=value1',
    headers: [HOST, DATE],
    creq: creq('GET', '/', 'Param1=value1&Param1=value2', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: 'c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606',
    signedHeaders: 'host;x-amz-date',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    target:
      '/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    headers: [HOST, DATE],
    creq: creq(
      'GET',
      '/',
      '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
      vanillaHeaders,
      'host;x-amz-date',
      EMPTY,
    ),
    stsHash: 'c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177',
    signedHeaders: 'host;x-amz-date',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-vanilla-utf8-query (GET /?ሴ=bar, sent encoded)',
    method: 'GET',
    target: '/?%E1%88%B4=bar',
    headers: [HOST, DATE],
    creq: creq('GET', '/', '%E1%88%B4=bar', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: 'eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073',
    signedHeaders: 'host;x-amz-date',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    target: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    headers: [HOST, DATE],
    creq: creq(
      'GET',
      '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
      '',
      vanillaHeaders,
      'host;x-amz-date',
      EMPTY,
    ),
    stsHash: '6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9',
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
    canonicalization: 'sigv4',
  },
  {
    // The suite signs the raw UTF-8 path encoded once; a client sends it encoded, so only
    // the as-sent (curl 7) form matches.
    name: 'get-utf8 (GET /ሴ, sent encoded)',
    method: 'GET',
    target: '/%E1%88%B4',
    headers: [HOST, DATE],
    creq: creq('GET', '/%E1%88%B4', '', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102',
    signedHeaders: 'host;x-amz-date',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
    canonicalization: 'curl7',
  },
  {
    name: 'normalize-path/get-space (GET /example space/, sent encoded)',
    method: 'GET',
    target: '/example%20space/',
    headers: [HOST, DATE],
    creq: creq('GET', '/example%20space/', '', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86',
    signedHeaders: 'host;x-amz-date',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
    canonicalization: 'curl7',
  },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    target: '/',
    headers: [HOST, ['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1'], DATE],
    creq: creq(
      'GET',
      '/',
      '',
      'host:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n',
      'host;my-header1;x-amz-date',
      EMPTY,
    ),
    stsHash: 'dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-header-value-order',
    method: 'GET',
    target: '/',
    headers: [HOST, ['My-Header1', 'value4,value1,value3,value2'], DATE],
    creq: creq(
      'GET',
      '/',
      '',
      'host:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n',
      'host;my-header1;x-amz-date',
      EMPTY,
    ),
    stsHash: '31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
    canonicalization: 'sigv4',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    target: '/',
    headers: [HOST, ['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"'], DATE],
    creq: creq(
      'GET',
      '/',
      '',
      'host:example.amazonaws.com\nmy-header1:value1\nmy-header2:"a b c"\nx-amz-date:20150830T123600Z\n',
      'host;my-header1;my-header2;x-amz-date',
      EMPTY,
    ),
    stsHash: 'a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7',
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    target: '/',
    headers: [HOST, DATE],
    creq: creq('POST', '/', '', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    target: '/?Param1=value1',
    headers: [HOST, DATE],
    creq: creq('POST', '/', 'Param1=value1', vanillaHeaders, 'host;x-amz-date', EMPTY),
    stsHash: '9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd',
    signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-header-key-sort',
    method: 'POST',
    target: '/',
    headers: [HOST, ['My-Header1', 'value1'], DATE],
    creq: creq(
      'POST',
      '/',
      '',
      'host:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n',
      'host;my-header1;x-amz-date',
      EMPTY,
    ),
    stsHash: '9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-header-value-case',
    method: 'POST',
    target: '/',
    headers: [HOST, ['My-Header1', 'VALUE1'], DATE],
    creq: creq(
      'POST',
      '/',
      '',
      'host:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n',
      'host;my-header1;x-amz-date',
      EMPTY,
    ),
    stsHash: 'd51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-sts-token/post-sts-header-before',
    method: 'POST',
    target: '/',
    headers: [HOST, DATE, ['X-Amz-Security-Token', STS_TOKEN]],
    creq: creq(
      'POST',
      '/',
      '',
      `host:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:${STS_TOKEN}\n`,
      'host;x-amz-date;x-amz-security-token',
      EMPTY,
    ),
    stsHash: 'c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6',
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    target: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded'], HOST, DATE],
    body: 'Param1=value1',
    creq: creq(
      'POST',
      '/',
      '',
      'content-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n',
      'content-type;host;x-amz-date',
      '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
    ),
    stsHash: '42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    canonicalization: 'sigv4',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    method: 'POST',
    target: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf8'], HOST, DATE],
    body: 'Param1=value1',
    creq: creq(
      'POST',
      '/',
      '',
      'content-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n',
      'content-type;host;x-amz-date',
      '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
    ),
    stsHash: '2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
    canonicalization: 'sigv4',
  },
  {
    name: 'S3 API Reference, Example: GET Object',
    method: 'GET',
    target: '/test.txt',
    headers: [
      ['Host', 'examplebucket.s3.amazonaws.com'],
      ['Range', 'bytes=0-9'],
      ['x-amz-content-sha256', EMPTY],
      ['x-amz-date', '20130524T000000Z'],
    ],
    creq: creq(
      'GET',
      '/test.txt',
      '',
      `host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:${EMPTY}\nx-amz-date:20130524T000000Z\n`,
      'host;range;x-amz-content-sha256;x-amz-date',
      EMPTY,
    ),
    stsHash: '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    signedHeaders: 'host;range;x-amz-content-sha256;x-amz-date',
    signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    canonicalization: 'sigv4',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    service: 's3',
    amzDate: '20130524T000000Z',
  },
];

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

function settings(vector: Vector) {
  const amzDate = vector.amzDate ?? AMZ_DATE;
  return {
    secret: vector.secret ?? SECRET,
    accessKeyId: vector.accessKeyId ?? 'AKIDEXAMPLE',
    region: vector.region ?? 'us-east-1',
    service: vector.service ?? 'service',
    amzDate,
    date: amzDate.slice(0, 8),
  };
}

function ourCanonicalRequest(vector: Vector): string {
  const target = splitRequestTarget(vector.target);
  assert.ok(target, vector.target);
  const names = vector.signedHeaders.split(';');
  const headers = names.map((name) => {
    const values = vector.headers
      .filter(([header]) => header.toLowerCase() === name)
      .map(([, value]) => value);
    return [name, values.map(canonicalHeaderValue).join(',')] as const;
  });
  return canonicalRequest({
    method: vector.method,
    canonicalPath: vector.canonicalization === 'sigv4' ? canonicalPath(target.path) : target.path,
    canonicalQuery: canonicalQuery(target.query),
    headers,
    payloadHash: sha256Hex(vector.body ?? ''),
  });
}

describe('the AWS Signature Version 4 test suite', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: canonical request, string to sign, signature`, () => {
      const { secret, region, service, amzDate, date } = settings(vector);
      const canonical = ourCanonicalRequest(vector);
      assert.equal(canonical, vector.creq);
      const toSign = stringToSign(amzDate, credentialScope(date, region, service), canonical);
      assert.equal(toSign.split('\n')[3], vector.stsHash);
      const key = deriveSigV4SigningKey(secret, date, region, service);
      assert.equal(signStringToSign(key, toSign), vector.signature);
    });

    it(`${vector.name}: accepted by verifySigV4Request`, async () => {
      const { secret, accessKeyId, region, service, amzDate, date } = settings(vector);
      const authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${date}/${region}/${service}/aws4_request, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`;
      const result = await verifySigV4Request(
        {
          method: vector.method,
          target: vector.target,
          rawHeaders: [...vector.headers.flat(), 'Authorization', authorization],
          body: Buffer.from(vector.body ?? ''),
        },
        {
          region,
          service,
          now: Date.parse(
            `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
          ),
          signingKeyFor: (id, day, keyRegion, keyService) =>
            id === accessKeyId ? deriveSigV4SigningKey(secret, day, keyRegion, keyService) : undefined,
          seen: () => false,
        },
      );
      assert.ok(result.ok, result.ok ? '' : result.error.detail);
      assert.equal(result.value.canonicalization, vector.canonicalization);
      assert.equal(result.value.accessKeyId, accessKeyId);
      assert.deepEqual(result.value.signedHeaders, vector.signedHeaders.split(';'));
    });
  }

  it('the cases signed over a raw path are refused when curl 7 signatures are not accepted', async () => {
    for (const vector of VECTORS.filter((each) => each.canonicalization === 'curl7')) {
      const authorization = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`;
      const result = await verifySigV4Request(
        {
          method: vector.method,
          target: vector.target,
          rawHeaders: [...vector.headers.flat(), 'Authorization', authorization],
          body: new Uint8Array(),
        },
        {
          region: 'us-east-1',
          service: 'service',
          now: Date.UTC(2015, 7, 30, 12, 36),
          signingKeyFor: (_id, day, region, service) => deriveSigV4SigningKey(SECRET, day, region, service),
          seen: () => false,
          acceptCurl7Signatures: false,
        },
      );
      assert.equal(result.ok ? 'accepted' : result.error.reason, 'signature_mismatch', vector.name);
    }
  });

  it('the normalize-path cases are refused: a path that normalisation changes is not accepted', async () => {
    // normalize-path/get-relative, get-relative-relative, get-slash, get-slash-dot-slash,
    // get-slash-pointless-dot, get-slashes: all sign as if the path were normalised.
    for (const target of [
      '/example/..',
      '/example1/example2/../..',
      '//',
      '/./',
      '/./example',
      '//example//',
    ]) {
      const result = await verifySigV4Request(
        {
          method: 'GET',
          target,
          rawHeaders: [
            ...HOST,
            ...DATE,
            'Authorization',
            'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
          ],
          body: new Uint8Array(),
        },
        {
          region: 'us-east-1',
          service: 'service',
          now: Date.UTC(2015, 7, 30, 12, 36),
          signingKeyFor: (_id, day, region, service) => deriveSigV4SigningKey(SECRET, day, region, service),
          seen: () => false,
        },
      );
      assert.equal(result.ok ? 'accepted' : result.error.reason, 'target_malformed', target);
    }
  });
});
