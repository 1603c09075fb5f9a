import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  buildAuthorization,
  buildRequestPaymentSignString,
  buildRequestSignString,
  buildResponseSignString,
  parseAuthorization,
  verifySha256Rsa,
} from '../src/index.js';

/**
 * Published test vectors from the official WeChat Pay SDKs, checked against the sandbox's
 * node:crypto helpers. Only public material is copied here (certificates, keys' public halves,
 * ciphertexts, signatures); no private key.
 */

describe('AEAD_AES_256_GCM (wechatpay-apiv3/wechatpay-java, core/src/test/java/com/wechat/pay/java/core/cipher/AeadAesCipherTest.java)', () => {
  // TestConfig.API_V3_KEY and the AeadAesCipherTest constants.
  const API_V3_KEY = 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb';
  const MESSAGE = 'message';
  const ASSOCIATED_DATA = 'associatedData';
  const NONCE = 'uluk4a9R25RW';
  const CIPHERTEXT = 'ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=';

  it('encrypts to the published ciphertext', () => {
    expect(aesGcmEncrypt(MESSAGE, API_V3_KEY, NONCE, ASSOCIATED_DATA)).toBe(CIPHERTEXT);
  });

  it('decrypts the published ciphertext', () => {
    expect(aesGcmDecrypt(CIPHERTEXT, API_V3_KEY, NONCE, ASSOCIATED_DATA)).toBe(MESSAGE);
  });

  it('refuses a tampered tag, another associated data, or a key that is not 32 bytes', () => {
    const tampered = Buffer.from(CIPHERTEXT, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    expect(() => aesGcmDecrypt(tampered.toString('base64'), API_V3_KEY, NONCE, ASSOCIATED_DATA)).toThrow();
    expect(() => aesGcmDecrypt(CIPHERTEXT, API_V3_KEY, NONCE, 'transaction')).toThrow();
    expect(() => aesGcmDecrypt(CIPHERTEXT, 'short', NONCE, ASSOCIATED_DATA)).toThrow('32 bytes');
  });
});

describe('SHA256withRSA verification (wechatpay-apiv3/wechatpay-java, core/src/test/java/com/wechat/pay/java/core/cipher/RSAVerifierTest.java)', () => {
  // core/src/test/resources/merchant_certificate.pem
  const MERCHANT_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIDrTCCApWgAwIBAgIUXxxy4qiTG3Ki4Tr43ukkces5cRUwDQYJKoZIhvcNAQEL
BQAwZjELMAkGA1UEBhMCQ04xEjAQBgNVBAgMCUd1YW5nZG9uZzERMA8GA1UEBwwI
c2hlbnpoZW4xITAfBgNVBAoMGEludGVybmV0IFdpZGdpdHMgUHR5IEx0ZDENMAsG
A1UEAwwEdGVzdDAeFw0yMjA1MTAwMTU3MTBaFw0yNTA1MDkwMTU3MTBaMGYxCzAJ
BgNVBAYTAkNOMRIwEAYDVQQIDAlHdWFuZ2RvbmcxETAPBgNVBAcMCHNoZW56aGVu
MSEwHwYDVQQKDBhJbnRlcm5ldCBXaWRnaXRzIFB0eSBMdGQxDTALBgNVBAMMBHRl
c3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCaZzehUwzcxdLgGn/U
NryHLdX0yBvCqD0p92/BdlCIBi0dmzZzrfc+FF0xK70AP9b2+Ry5q+zXUU+dPucJ
mgwABiZ+Lte+4euMxqPCEkdEu9lyiphalpoaOVPbmDNatzq9k5a/P454QRWMdkLU
JZCeoL9bF2Gn/2+wWEw3sL8zFFcOM8Jr1PdOLmAx+h7pf/87jcmXXCm+SZqw5MtI
LKQi9zHWujYdMA0IcYNeQaNl1h/NUnungdIHKaaU+17wCXqTcZsipAGoqfqrHx/s
r30ZszOdHYOvFNiB+rhEldBGSLWwSYE6LFkbP9GdQWKIQCip3E5dLj5ZFkDeOv4H
ekf9AgMBAAGjUzBRMB0GA1UdDgQWBBQQicr3Vq+2NG2ykH0nxQxsct1RtTAfBgNV
HSMEGDAWgBQQicr3Vq+2NG2ykH0nxQxsct1RtTAPBgNVHRMBAf8EBTADAQH/MA0G
CSqGSIb3DQEBCwUAA4IBAQCH//ZlSAbc6xRlwKwwfbHMsVpAfo/p+Y3397Gi4sR8
RbsW6a3ezXhbiSGiJxDnerx9Cmp4K6U+D3Fl0N9K6CDWfwpGNiZvjmCxtM/wb7dM
u+4U0MXJGBcaePj4mtV/+qPxSWDCQ+PR5OcYRQnac9LfrffTuejQx5aw9FcD7egI
SYfgkZ/wgHyQcZyhh8s6DuigpEaVGMLLoWDZGJ3D+rt4kXk9y5+03KBB2vobyl6P
+PDgaYrlNR/UQMnKMdkgWp7bebmrcXte32/6FAwK3SuHZOSkteDtRCYhYfG5SGSr
go1ujfIK1zIFyPkKKnsgTUPJXwdC7LI+ZqJuWTyVTNj6
-----END CERTIFICATE-----`;
  const SIGNATURE =
    'Rq+5ZpWV6IHTWE1+9gCrYJKguNgbItpMdlIA+PVCPCdUAKNlohZz7CL7Y8xWDIFJjdGnErMj6Z+Q/h9CF5MV+nAVkqDmBR0uP5pp' +
    'sUEzco4ijvKHsvI2ro4boSW6vSfQs3W8I4QSI9a0/NFIgvj83Fv27LIYZf7deaFWmEwd1fpAeJRCyoKyBeJPdsjVx0//Lqe6' +
    'Wze2zVdliLcBvaHCfpd8+rAVGS+FQDeWgHqJ7n/Zy09LmV1/ghs7pO1mdjdD16SHKlysAD3K5hNGUJX/SHrEXEcu1yO1AOb/' +
    'YvOVkjNh8243rcfXNE5L4ph2XS11vS+2aToKYSOcKUagf0LLaw==';

  it('verifies the published signature of "message" with the merchant certificate', () => {
    expect(verifySha256Rsa('message', SIGNATURE, new X509Certificate(MERCHANT_CERTIFICATE).publicKey)).toBe(true);
    expect(verifySha256Rsa('message!', SIGNATURE, new X509Certificate(MERCHANT_CERTIFICATE).publicKey)).toBe(false);
  });

  it('reads the certificate serial the SDK pins (TestConfig.MERCHANT_CERTIFICATE_SERIAL_NUMBER)', () => {
    expect(new X509Certificate(MERCHANT_CERTIFICATE).serialNumber).toBe('5F1C72E2A8931B72A2E13AF8DEE92471EB397115');
  });
});

describe('notification signature (wechatpay-apiv3/wechatpay-go, core/notify/notify_test.go TestHandler_ParseNotifyRequest)', () => {
  const WECHATPAY_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIJANfOWdH1ItcBMA0GCSqGSIb3DQEBCwUAMEIxCzAJBgNV
BAYTAlhYMRUwEwYDVQQHDAxEZWZhdWx0IENpdHkxHDAaBgNVBAoME0RlZmF1bHQg
Q29tcGFueSBMdGQwHhcNMjEwNDI3MDg1NTIzWhcNMzEwNDI1MDg1NTIzWjBCMQsw
CQYDVQQGEwJYWDEVMBMGA1UEBwwMRGVmYXVsdCBDaXR5MRwwGgYDVQQKDBNEZWZh
dWx0IENvbXBhbnkgTHRkMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXag
HQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOm
DeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B83
4uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGf
y8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtk
aSef4FdEEgEXJiw0VAJT8wIDAQABo1AwTjAdBgNVHQ4EFgQUT1c7nd/SUO76HSoZ
umNUJv1R5PwwHwYDVR0jBBgwFoAUT1c7nd/SUO76HSoZumNUJv1R5PwwDAYDVR0T
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAfTjxKRQMzNB/U6ZoCUS+BSNfa2Oh
0plMN6ZuzwiVVZwg1jywvv5yv04koS7Pd4i9E4gt9ZBUQXlpq+A3oOCEEHNRR6b2
kyazGRM7s0OP5X21WrbpSmKmU6K7hkfx30yYs08LVs/Q8DIhvaj1FCFeJzUCzYn/
fHMq4tsbKO0dKAeydPM/nrUZBmaYQVKMVOORGLFjFKVO7JV6Kq/R86ouhjEPgJOe
2xulNBUcjicqtZlBdEh/PWCYP2SpGVDclKm8jeo175T3EVAkdKzzmfpxtMmnMlmq
cTJOU9TxuGvNASMtjj7pYIerTx+xgZDXEVBWFW9PjJ0TV06tCRsgSHItgg==
-----END CERTIFICATE-----`;
  const TIMESTAMP = '1624523846';
  const NONCE = 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz';
  const SIGNATURE =
    'tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXF' +
    'lbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1I' +
    'BLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY4' +
    '06ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==';
  const BODY =
    '{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":"encrypt-resource",' +
    '"event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM",' +
    '"ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==",' +
    '"associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}';

  it('verifies over TIMESTAMP\\nNONCE\\nBODY\\n with the WeChat Pay certificate', () => {
    const key = new X509Certificate(WECHATPAY_CERTIFICATE).publicKey;
    expect(verifySha256Rsa(buildResponseSignString(TIMESTAMP, NONCE, BODY), SIGNATURE, key)).toBe(true);
    expect(
      verifySha256Rsa(buildResponseSignString(TIMESTAMP, NONCE, BODY.replace('签约成功', '签约失败')), SIGNATURE, key),
    ).toBe(false);
    expect(verifySha256Rsa(buildResponseSignString('1624523847', NONCE, BODY), SIGNATURE, key)).toBe(false);
  });
});

describe('signature strings (APIv3 签名生成 and 小程序调起支付)', () => {
  it('lays out the request, response and requestPayment strings line by line, each line ending in \\n', () => {
    // The example of the APIv3 signing guide: GET of the certificates list.
    expect(buildRequestSignString('GET', '/v3/certificates', 1554208460, '593BEC0C930BF1AFEB40B4A08C8FB242')).toBe(
      'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n',
    );
    expect(buildResponseSignString('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"a":1}')).toBe(
      '1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"a":1}\n',
    );
    expect(
      buildRequestPaymentSignString(
        'wx8888888888888888',
        '1414561699',
        '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
        'prepay_id=wx201410272009395522657a690389285100',
      ),
    ).toBe(
      'wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n',
    );
  });

  it('parses the Authorization header it builds, and nothing malformed', () => {
    const header =
      'WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XmUgx9FvJeZ2ShANOeGjPvy1ShoCB0N8LbSjV7hIv+E2eFKqdsMZ1A==",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"';
    expect(parseAuthorization(header)).toMatchObject({
      mchid: '1900009191',
      timestamp: '1554208460',
      serial_no: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
    });
    expect(parseAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SHA256-RSA4096'))).toBeNull();
    expect(parseAuthorization(header.replace(',timestamp="1554208460"', ''))).toBeNull();
    expect(parseAuthorization(`${header},junk`)).toBeNull();
  });

  it('builds an Authorization whose signature verifies over the request string', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const header = buildAuthorization({
      mchid: '1900009191',
      serialNo: 'ABC',
      privateKey,
      method: 'post',
      pathAndQuery: '/v3/pay/transactions/jsapi',
      body: '{"a":1}',
      timestamp: 1554208460,
      nonce: 'N1',
    });
    const parts = parseAuthorization(header)!;
    expect(parts).toMatchObject({ mchid: '1900009191', serial_no: 'ABC', nonce_str: 'N1', timestamp: '1554208460' });
    expect(
      verifySha256Rsa('POST\n/v3/pay/transactions/jsapi\n1554208460\nN1\n{"a":1}\n', parts.signature, publicKey),
    ).toBe(true);
  });
});
