/**
 * PEM and the little DER that core needs: key formats for WebCrypto, and the
 * serial, validity and public key of a platform certificate. Platform-agnostic
 * (no `node:` imports): WebCrypto imports only PKCS#8 / SPKI and cannot read
 * certificates, so the few structures involved are walked here by hand.
 *
 * @internal
 */
import { Either, Encoding } from "effect"

/**
 * Bytes backed by a plain `ArrayBuffer`, the kind WebCrypto accepts.
 *
 * @internal
 */
export type Bytes = Uint8Array<ArrayBuffer>

/** @internal */
export interface PemBlock {
  readonly label: string
  readonly der: Bytes
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

/**
 * All PEM blocks in a text, in order. `Left` with a reason (never the text) when
 * there is none or one is not base64.
 *
 * @internal
 */
export const parsePem = (text: string): Either.Either<ReadonlyArray<PemBlock>, string> => {
  const blocks: Array<PemBlock> = []
  for (const match of text.matchAll(PEM_RE)) {
    const label = match[1] ?? ""
    const decoded = Encoding.decodeBase64((match[2] ?? "").replace(/\s+/g, ""))
    if (Either.isLeft(decoded)) return Either.left(`the ${label} block is not valid base64`)
    blocks.push({ label, der: new Uint8Array(decoded.right) })
  }
  return blocks.length === 0 ? Either.left("no PEM block (-----BEGIN ...-----) found") : Either.right(blocks)
}

// --- DER reading -------------------------------------------------------------

/** @internal */
export interface Tlv {
  readonly tag: number
  /** Offset of the tag byte. */
  readonly offset: number
  /** Offset of the value. */
  readonly start: number
  /** Offset one past the value. */
  readonly end: number
}

class DerError extends Error {}

const readTlv = (der: Uint8Array, offset: number): Tlv => {
  const tag = der[offset]
  let lengthByte = der[offset + 1]
  if (tag === undefined || lengthByte === undefined) throw new DerError("truncated")
  let start = offset + 2
  let length = lengthByte
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f
    if (count === 0 || count > 4) throw new DerError("unsupported length")
    length = 0
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i]
      if (lengthByte === undefined) throw new DerError("truncated")
      length = length * 256 + lengthByte
    }
    start += count
  }
  const end = start + length
  if (end > der.length) throw new DerError("truncated")
  return { tag, offset, start, end }
}

const children = (der: Uint8Array, parent: Tlv): Array<Tlv> => {
  const out: Array<Tlv> = []
  for (let offset = parent.start; offset < parent.end;) {
    const tlv = readTlv(der, offset)
    out.push(tlv)
    offset = tlv.end
  }
  return out
}

const child = (list: ReadonlyArray<Tlv>, index: number): Tlv => {
  const tlv = list[index]
  if (tlv === undefined) throw new DerError("missing element")
  return tlv
}

const toHex = (bytes: Uint8Array): string => {
  let hex = ""
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0")
  return hex.toUpperCase()
}

const decodeTime = (der: Uint8Array, tlv: Tlv): number => {
  const text = new TextDecoder().decode(der.subarray(tlv.start, tlv.end))
  // UTCTime (0x17) YYMMDDHHMMSSZ; GeneralizedTime (0x18) YYYYMMDDHHMMSSZ.
  const match = tlv.tag === 0x17
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (match === null) throw new DerError("unsupported time encoding")
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const year = tlv.tag === 0x17 ? (y >= 50 ? 1900 + y : 2000 + y) : y
  return Date.UTC(year, mo - 1, d, h, mi, s)
}

/**
 * What a verifier needs from an X.509 certificate.
 *
 * @internal
 */
export interface CertificateInfo {
  /** Serial number, upper-case hex without leading zero bytes: the form WeChat Pay uses in `Wechatpay-Serial`. */
  readonly serial: string
  readonly notBefore: number
  readonly notAfter: number
  /** DER SubjectPublicKeyInfo, importable as `spki`. */
  readonly spki: Bytes
}

/**
 * Reads serial, validity and public key from a DER certificate.
 *
 * @internal
 */
export const parseCertificate = (der: Bytes): Either.Either<CertificateInfo, string> => {
  try {
    const certificate = readTlv(der, 0)
    const tbs = child(children(der, certificate), 0)
    const fields = children(der, tbs)
    // Optional explicit [0] version precedes the serial.
    const first = fields[0]?.tag === 0xa0 ? 1 : 0
    const serialTlv = child(fields, first)
    if (serialTlv.tag !== 0x02) throw new DerError("serial is not an INTEGER")
    let serialBytes = der.subarray(serialTlv.start, serialTlv.end)
    while (serialBytes.length > 1 && serialBytes[0] === 0) serialBytes = serialBytes.subarray(1)
    const validity = children(der, child(fields, first + 3))
    const spkiTlv = child(fields, first + 5)
    return Either.right({
      serial: toHex(serialBytes),
      notBefore: decodeTime(der, child(validity, 0)),
      notAfter: decodeTime(der, child(validity, 1)),
      spki: der.slice(spkiTlv.offset, spkiTlv.end)
    })
  } catch (error) {
    return Either.left(error instanceof DerError ? `malformed certificate (${error.message})` : "malformed certificate")
  }
}

// --- DER writing: wrap PKCS#1 RSA keys in the PKCS#8 / SPKI envelopes WebCrypto imports --

const encodeLength = (length: number): Array<number> => {
  if (length < 0x80) return [length]
  const bytes: Array<number> = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff)
  return [0x80 | bytes.length, ...bytes]
}

const tlv = (tag: number, ...parts: ReadonlyArray<Uint8Array>): Bytes => {
  const length = parts.reduce((n, p) => n + p.length, 0)
  const header = [tag, ...encodeLength(length)]
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  let offset = header.length
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

// AlgorithmIdentifier { rsaEncryption, NULL }
const RSA_ALGORITHM = Uint8Array.of(
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00
)

/** @internal */
export const pkcs1PrivateToPkcs8 = (pkcs1: Uint8Array): Bytes =>
  tlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM, tlv(0x04, pkcs1))

/** @internal */
export const pkcs1PublicToSpki = (pkcs1: Uint8Array): Bytes =>
  tlv(0x30, RSA_ALGORITHM, tlv(0x03, Uint8Array.of(0x00), pkcs1))

/**
 * The single key block of a PEM text in the envelope WebCrypto imports.
 *
 * @internal
 */
export const privateKeyDer = (pem: string): Either.Either<Bytes, string> =>
  Either.flatMap(parsePem(pem), (blocks) => {
    const block = blocks.find((b) => b.label === "PRIVATE KEY" || b.label === "RSA PRIVATE KEY")
    if (block === undefined) {
      return Either.left(
        blocks.some((b) => b.label === "ENCRYPTED PRIVATE KEY")
          ? "encrypted private keys are not supported; export the key unencrypted (PKCS#8)"
          : "expected a PRIVATE KEY or RSA PRIVATE KEY PEM block"
      )
    }
    return Either.right(block.label === "RSA PRIVATE KEY" ? pkcs1PrivateToPkcs8(block.der) : block.der)
  })

/** @internal */
export const publicKeyDer = (pem: string): Either.Either<Bytes, string> =>
  Either.flatMap(parsePem(pem), (blocks) => {
    const block = blocks.find((b) => b.label === "PUBLIC KEY" || b.label === "RSA PUBLIC KEY")
    if (block === undefined) return Either.left("expected a PUBLIC KEY or RSA PUBLIC KEY PEM block")
    return Either.right(block.label === "RSA PUBLIC KEY" ? pkcs1PublicToSpki(block.der) : block.der)
  })

/** @internal */
export const certificates = (pem: string): Either.Either<ReadonlyArray<CertificateInfo>, string> =>
  Either.flatMap(parsePem(pem), (blocks) => {
    const certs = blocks.filter((b) => b.label === "CERTIFICATE")
    if (certs.length === 0) return Either.left("expected a CERTIFICATE PEM block")
    return Either.all(certs.map((b) => parseCertificate(b.der)))
  })
