/**
 * Which key encrypts sensitive fields, chosen at the moment of the request.
 *
 * @internal
 */
import { Either } from "effect"
import type { VerificationKeys } from "../Credentials.js"
import { WechatPayConfigError } from "../WechatPayError.js"
import * as Pem from "./pem.js"

/** A key that may encrypt, with the serial WeChat Pay knows it by and its validity. */
export interface Candidate<K> {
  readonly serial: string
  readonly key: K
  /** Certificates only: epoch milliseconds. */
  readonly notBefore?: number | undefined
  readonly notAfter?: number | undefined
}

/**
 * The configured keys, the WeChat Pay public key first (it is preferred
 * whenever configured, migration mode included), then the certificates,
 * newest first.
 */
export const candidates = (
  verification: VerificationKeys
): Either.Either<ReadonlyArray<Candidate<Pem.Bytes>>, WechatPayConfigError> => {
  const out: Array<Candidate<Pem.Bytes>> = []
  if (verification.publicKey !== undefined) {
    const der = Pem.publicKeyDer(verification.publicKey.pem)
    if (Either.isLeft(der)) {
      return Either.left(new WechatPayConfigError({ setting: "verification.publicKey.pem", issue: der.left }))
    }
    out.push({ serial: verification.publicKey.id, key: der.right })
  }
  const certificates: Array<Candidate<Pem.Bytes>> = []
  for (const [index, pem] of (verification.platformCertificates ?? []).entries()) {
    const parsed = Pem.certificates(pem)
    if (Either.isLeft(parsed)) {
      return Either.left(
        new WechatPayConfigError({ setting: `verification.platformCertificates[${index}]`, issue: parsed.left })
      )
    }
    for (const cert of parsed.right) {
      certificates.push({ serial: cert.serial, key: cert.spki, notBefore: cert.notBefore, notAfter: cert.notAfter })
    }
  }
  certificates.sort((a, b) => (b.notBefore ?? 0) - (a.notBefore ?? 0))
  out.push(...certificates)
  if (out.length === 0) {
    return Either.left(
      new WechatPayConfigError({ setting: "verification", issue: "no WeChat Pay key to encrypt sensitive fields with" })
    )
  }
  return Either.right(out)
}

/** The key to use at `now`: the public key, else the newest certificate valid at `now`. */
export const choose = <K>(list: ReadonlyArray<Candidate<K>>, now: number): Candidate<K> | undefined => {
  for (const candidate of list) {
    if (candidate.notBefore === undefined) return candidate
    if (candidate.notBefore <= now && (candidate.notAfter === undefined || now <= candidate.notAfter)) {
      return candidate
    }
  }
  return undefined
}

/** RSA-OAEP with SHA-1 under a 2048-bit key holds at most 256 - 2·20 - 2 bytes. */
export const maxPlaintextBytes = (modulusBytes: number): number => modulusBytes - 2 * 20 - 2
