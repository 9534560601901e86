import { Clock, Effect } from "effect"
import { createPublicKey, randomBytes, sign, verify, X509Certificate } from "node:crypto"
import type { Sandbox } from "@effect-wechatpay/sandbox"

export const nonce = (): string => randomBytes(16).toString("hex")

export interface SignOptions {
  readonly method?: string
  readonly url: string
  readonly body?: string
  readonly timestamp?: string
  readonly nonce?: string
  readonly mchid?: string
  readonly serial?: string
  readonly privateKeyPem?: string
  /** Sign this URL instead of `url` (to provoke a bad signature). */
  readonly signedUrl?: string
}

/** Builds an Authorization header with node:crypto, independent of the sandbox code. */
export const authorization = (config: Sandbox.SandboxConfig, o: SignOptions & { readonly timestamp: string }) => {
  const method = o.method ?? "GET"
  const n = o.nonce ?? nonce()
  const message = `${method}\n${o.signedUrl ?? o.url}\n${o.timestamp}\n${n}\n${o.body ?? ""}\n`
  const signature = sign("sha256", Buffer.from(message), o.privateKeyPem ?? config.merchantPrivateKeyPem).toString(
    "base64"
  )
  return `WECHATPAY2-SHA256-RSA2048 mchid="${o.mchid ?? config.mchid}",nonce_str="${n}",signature="${signature}",` +
    `timestamp="${o.timestamp}",serial_no="${o.serial ?? config.merchantSerial}"`
}

/** A signed request for `handle`, timestamped with the Clock. */
export const signed = (config: Sandbox.SandboxConfig, o: SignOptions, extraHeaders: Record<string, string> = {}) =>
  Effect.map(Clock.currentTimeMillis, (now): Sandbox.SandboxRequest => ({
    method: o.method ?? "GET",
    url: o.url,
    headers: {
      authorization: authorization(config, { ...o, timestamp: o.timestamp ?? String(Math.floor(now / 1000)) }),
      ...extraHeaders
    },
    body: o.body ?? ""
  }))

export const header = (headers: Readonly<Record<string, string>>, name: string): string | undefined => {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name.toLowerCase()) return v
  return undefined
}

/** Verifies a response signature against a PEM public key or certificate. */
export const verifies = (
  keyOrCertPem: string,
  headers: Readonly<Record<string, string>>,
  body: string
): boolean => {
  const ts = header(headers, "Wechatpay-Timestamp")
  const n = header(headers, "Wechatpay-Nonce")
  const sig = header(headers, "Wechatpay-Signature")
  if (ts === undefined || n === undefined || sig === undefined) return false
  const key = keyOrCertPem.includes("CERTIFICATE") ? new X509Certificate(keyOrCertPem).publicKey : createPublicKey(
    keyOrCertPem
  )
  return verify("sha256", Buffer.from(`${ts}\n${n}\n${body}\n`), key, Buffer.from(sig, "base64"))
}

export const asResponse = (r: Sandbox.HandleResult): Sandbox.SandboxResponse => {
  if (r === "reset") throw new Error("unexpected reset")
  return r
}

export const json = (r: Sandbox.HandleResult): unknown => JSON.parse(asResponse(r).body)
