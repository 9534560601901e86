/**
 * The byte-exact pieces of the APIv3 protocol (spec: wechatpay-apiv3.md §1–2).
 *
 * @internal
 */

/** @internal */
export const SCHEMA = "WECHATPAY2-SHA256-RSA2048"

const NONCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Random bytes are drawn from the CSPRNG in blocks: one call per ~100 nonces
// rather than one per request.
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let poolIndex = POOL_SIZE
const ALPHABET_CODES = Array.from(NONCE_ALPHABET, (c) => c.charCodeAt(0))
const codes: Array<number> = new Array(32).fill(0)

/**
 * 32 characters of `[0-9A-Za-z]` from the platform's CSPRNG, like the official
 * SDKs. 248 is the largest multiple of 62 below 256: rejecting bytes above it
 * keeps every character equally likely.
 *
 * @internal
 */
export const nonce = (): string => {
  let n = 0
  while (n < 32) {
    if (poolIndex >= POOL_SIZE) {
      globalThis.crypto.getRandomValues(pool)
      poolIndex = 0
    }
    const byte = pool[poolIndex++]!
    if (byte < 248) codes[n++] = ALPHABET_CODES[byte % 62]!
  }
  // One flat string: appending 32 characters one by one builds a rope of ~20 nodes.
  return String.fromCharCode.apply(null, codes)
}

/**
 * `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`: every line ends with `\n`,
 * the last included; a request without a body signs the empty string.
 *
 * @internal
 */
export const requestMessage = (
  method: string,
  canonicalUrl: string,
  timestamp: number,
  nonceStr: string,
  body: string
): string => `${method}\n${canonicalUrl}\n${timestamp}\n${nonceStr}\n${body}\n`

/**
 * `TIMESTAMP\nNONCE\nBODY\n` over the raw, unparsed body.
 *
 * @internal
 */
export const responseMessage = (timestamp: string, nonceStr: string, body: string): string =>
  `${timestamp}\n${nonceStr}\n${body}\n`

/** @internal */
export const authorization = (fields: {
  readonly mchid: string
  readonly nonce: string
  readonly signature: string
  readonly timestamp: number
  readonly serialNo: string
}): string =>
  `${SCHEMA} mchid="${fields.mchid}",nonce_str="${fields.nonce}",signature="${fields.signature}",timestamp="${fields.timestamp}",serial_no="${fields.serialNo}"`

/**
 * A query string with every key and value percent-encoded once: what is sent is
 * what is signed, and no transport re-encodes it.
 *
 * @internal
 */
export const queryString = (query: ReadonlyArray<readonly [string, string]>): string =>
  query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join("&")

/** @internal */
export const PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
