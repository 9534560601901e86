/**
 * wechatpay-node-v3, as its README says: a `WxPay` instance (`appid`, `mchid`,
 * `publicKey` = the merchant's certificate or key, `privateKey`, `serial_no`),
 * then per request `getSignature` + `getAuthorization` and a `superagent` GET,
 * and the response checked with `verifySign` (its only verification step; the
 * README's flow does not call it by itself, so it is called explicitly here on
 * the raw body text, as its docs ask).
 *
 * Two things it cannot do against the sandbox, and what stands in:
 * - `verifySign` looks the platform key up in a process-wide cache filled by
 *   downloading `https://api.mch.weixin.qq.com/v3/certificates` (hard-coded
 *   production URL, AES-256-GCM-encrypted with the APIv3 key). The sandbox has
 *   no such endpoint and the bench no network, so the README's extension point
 *   `pay.createHttp(IPayRequest)` answers that one download with the sandbox's
 *   platform certificate, encrypted under a bench APIv3 key exactly as WeChat
 *   Pay does. It runs once, during setup. Every listing request goes to the
 *   sandbox over loopback through superagent, as the README shows.
 * - It has no public-key (PUB_KEY_ID) mode: hence the sandbox runs in
 *   platform-certificate mode for every contender.
 *
 * As shipped, it signs with the private key PEM buffer (re-parsed by
 * `createSign().sign()` on every request) and verifies with the PEM string
 * (re-parsed on every response); that is what it costs.
 */
import * as Crypto from "node:crypto"
import request from "superagent"
import WxPay from "wechatpay-node-v3"
import type { IPayRequest } from "wechatpay-node-v3/dist/lib/pay-request.interface.js"
import { offsetLoop, LIST_PATH, type SandboxInfo, type Task, wireItems } from "../common.js"
import type { Listing } from "./types.js"

/** A 32-byte APIv3 key of the bench's own (WeChat Pay's certificate download is encrypted with it). */
const APIV3_KEY = "benchApiV3Key0123456789abcdefXYZ"

const certificatesAnswer = (sandbox: SandboxInfo) => {
  const nonce = "0123456789ab"
  const cipher = Crypto.createCipheriv("aes-256-gcm", Buffer.from(APIV3_KEY), Buffer.from(nonce))
  cipher.setAAD(Buffer.from("certificate"))
  const ciphertext = Buffer.concat([cipher.update(sandbox.platformCertificatePem, "utf8"), cipher.final(), cipher.getAuthTag()])
  return {
    status: 200,
    data: {
      data: [{
        serial_no: sandbox.platformCertificateSerial,
        effective_time: new Date(Date.now() - 86_400_000).toISOString(),
        expire_time: new Date(Date.now() + 5 * 365 * 86_400_000).toISOString(),
        encrypt_certificate: {
          algorithm: "AEAD_AES_256_GCM",
          nonce,
          associated_data: "certificate",
          ciphertext: ciphertext.toString("base64")
        }
      }]
    }
  }
}

const certificateDownload = (sandbox: SandboxInfo): IPayRequest => {
  const unused = () => Promise.reject(new Error("not used by the bench"))
  return {
    post: unused,
    upload: unused,
    get: (url) =>
      url === "https://api.mch.weixin.qq.com/v3/certificates"
        ? Promise.resolve(certificatesAnswer(sandbox))
        : Promise.reject(new Error(`unexpected GET ${url}`))
  }
}

const header = (headers: Record<string, unknown>, name: string): string => {
  const value = headers[name]
  if (typeof value !== "string") throw new Error(`missing response header ${name}`)
  return value
}

export const prepare = async (task: Task): Promise<Listing> => {
  const { sandbox } = task
  const pay = new WxPay({
    appid: "wx0000000000000000",
    mchid: sandbox.mchid,
    serial_no: sandbox.merchantSerial,
    // The merchant certificate in production; the sandbox has the merchant's public key only, and
    // `serial_no` is given, so the SDK never reads a serial from it.
    publicKey: Buffer.from(sandbox.merchantPublicKeyPem),
    privateKey: Buffer.from(sandbox.merchantPrivateKeyPem),
    key: APIV3_KEY
  })
  pay.createHttp(certificateDownload(sandbox))
  // Fill its platform-certificate cache now (a one-time download), not inside the timed listing.
  await pay.verifySign({
    timestamp: 0,
    nonce: "",
    body: "",
    serial: sandbox.platformCertificateSerial,
    signature: "AAAA"
  })

  const page = async (offset: number) => {
    const url = `${LIST_PATH}?organization_id=${encodeURIComponent(task.organizationId)}&offset=${offset}&limit=${task.limit}`
    const nonce_str = Math.random().toString(36).substr(2, 15)
    const timestamp = Math.floor(Date.now() / 1000).toString()
    const signature = pay.getSignature("GET", nonce_str, timestamp, url)
    const authorization = pay.getAuthorization(nonce_str, timestamp, signature)
    const result = await request.get(sandbox.url + url).set({
      Accept: "application/json",
      "User-Agent": "effect-wechatpay-bench",
      Authorization: authorization
    })
    const headers: Record<string, unknown> = result.headers
    const verified = await pay.verifySign({
      timestamp: header(headers, "wechatpay-timestamp"),
      nonce: header(headers, "wechatpay-nonce"),
      body: result.text,
      serial: header(headers, "wechatpay-serial"),
      signature: header(headers, "wechatpay-signature")
    })
    if (!verified) throw new Error("bad response signature")
    const body: unknown = result.body
    return wireItems(body)
  }

  return offsetLoop(page)
}
