/**
 * Self-signed X.509 v3 certificates for the sandbox's platform-certificate mode (平台证书). Node can parse
 * certificates (`new X509Certificate(pem)`) but not create them, so this module DER-encodes one itself:
 * v3, a positive 16-byte random serial, `sha256WithRSAEncryption`, basicConstraints (cA false, critical) and
 * keyUsage (digitalSignature, keyEncipherment, critical).
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto"
import * as Der from "./internal/der.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Certificate {
  /** `-----BEGIN CERTIFICATE-----` PEM text. */
  readonly pem: string
  readonly der: Uint8Array
  /** The serial number, upper-case hex without separators (as WeChat Pay writes certificate serials). */
  readonly serialNumber: string
  readonly notBefore: Date
  readonly notAfter: Date
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface SelfSignedOptions {
  /** The RSA private key (PEM or KeyObject); the certificate certifies its public key and is signed with it. */
  readonly privateKey: string | KeyObject
  readonly notBefore: Date
  readonly notAfter: Date
  /** Serial number as hex (at most 20 bytes, first byte below 0x80). Default: 16 random bytes. */
  readonly serialNumber?: string | undefined
  /** Subject (= issuer) common name. Default `Tenpay.com Sandbox Platform Certificate`. */
  readonly commonName?: string | undefined
}

const sha256WithRSAEncryption = "1.2.840.113549.1.1.11"

/**
 * A positive 16-byte random serial whose first byte is in `[0x10, 0x7f]`: 32 hex digits, no leading zero,
 * never negative.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const randomSerialNumber = (): string => {
  const bytes = randomBytes(16)
  bytes[0] = 0x10 + ((bytes[0] ?? 0) % 0x70)
  return bytes.toString("hex").toUpperCase()
}

const toPem = (der: Uint8Array): string => {
  const b64 = Buffer.from(der).toString("base64")
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`
}

/**
 * Builds and signs a self-signed certificate (synchronous).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeSelfSigned = (options: SelfSignedOptions): Certificate => {
  const privateKey = typeof options.privateKey === "string" ? createPrivateKey(options.privateKey) : options.privateKey
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" })
  const serialHex = (options.serialNumber ?? randomSerialNumber()).toUpperCase()
  if (!/^(?:[0-9A-F]{2}){1,20}$/.test(serialHex) || parseInt(serialHex.slice(0, 2), 16) >= 0x80) {
    throw new Error(`serial number must be 1 to 20 bytes of hex with the first byte below 0x80, got ${serialHex}`)
  }
  const name = Der.sequence(
    Der.set(Der.sequence(Der.oid("2.5.4.6"), Der.printableString("CN"))),
    Der.set(Der.sequence(Der.oid("2.5.4.10"), Der.utf8String("Tenpay.com"))),
    Der.set(Der.sequence(Der.oid("2.5.4.11"), Der.utf8String("WeChat Pay Sandbox"))),
    Der.set(Der.sequence(
      Der.oid("2.5.4.3"),
      Der.utf8String(options.commonName ?? "Tenpay.com Sandbox Platform Certificate")
    ))
  )
  const algorithm = Der.sequence(Der.oid(sha256WithRSAEncryption), Der.nullValue)
  const extensions = Der.sequence(
    // basicConstraints: critical, cA FALSE (DEFAULT, so an empty SEQUENCE)
    Der.sequence(Der.oid("2.5.29.19"), Der.boolean(true), Der.octetString(Der.sequence())),
    // keyUsage: critical, digitalSignature (0) + keyEncipherment (2)
    Der.sequence(Der.oid("2.5.29.15"), Der.boolean(true), Der.octetString(Der.namedBits([0, 2])))
  )
  const tbs = Der.sequence(
    Der.explicit(0, Der.integer(2)),
    Der.integerFromBytes(Buffer.from(serialHex, "hex")),
    algorithm,
    name,
    Der.sequence(Der.time(options.notBefore), Der.time(options.notAfter)),
    name,
    new Uint8Array(spki),
    Der.explicit(3, extensions)
  )
  const signature = sign("sha256", tbs, privateKey)
  const der = Der.sequence(tbs, algorithm, Der.bitString(new Uint8Array(signature)))
  return {
    pem: toPem(der),
    der,
    serialNumber: serialHex,
    notBefore: new Date(Math.floor(options.notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(options.notAfter.getTime() / 1000) * 1000)
  }
}

/**
 * A self-signed certificate valid from (Clock now − 1 day) to (Clock now + 5 years).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Omit<SelfSignedOptions, "notBefore" | "notAfter">
): Effect.Effect<Certificate> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => {
      const notAfter = new Date(now)
      notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 5)
      return makeSelfSigned({ ...options, notBefore: new Date(now - 86_400_000), notAfter })
    }))
