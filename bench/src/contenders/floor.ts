/**
 * The floor: the simplest correct client. Global `fetch` (undici, keep-alive by
 * default), `node:crypto` with keys parsed once, the request signed, the
 * response verified (headers, serial, clock window, SHA256withRSA over the raw
 * body), `JSON.parse`, an offset loop that ends on the first empty page (the
 * library's rule, so both send the same requests).
 */
import * as Crypto from "node:crypto"
import { LIST_PATH, nonce, offsetLoop, type Task, wireItems } from "../common.js"
import type { Listing } from "./types.js"


export const prepare = async (task: Task): Promise<Listing> => {
  const { sandbox } = task
  const privateKey = Crypto.createPrivateKey(sandbox.merchantPrivateKeyPem)
  const publicKey = Crypto.createPublicKey(sandbox.platformCertificatePem)
  const serial = sandbox.platformCertificateSerial
  const org = encodeURIComponent(task.organizationId)

  const page = async (offset: number) => {
    const path = `${LIST_PATH}?organization_id=${org}&offset=${offset}&limit=${task.limit}`
    const timestamp = Math.floor(Date.now() / 1000)
    const nonceStr = nonce()
    const signature = Crypto.sign("sha256", Buffer.from(`GET\n${path}\n${timestamp}\n${nonceStr}\n\n`), privateKey)
      .toString("base64")
    const response = await fetch(sandbox.url + path, {
      headers: {
        Authorization:
          `WECHATPAY2-SHA256-RSA2048 mchid="${sandbox.mchid}",nonce_str="${nonceStr}",signature="${signature}",timestamp="${timestamp}",serial_no="${sandbox.merchantSerial}"`,
        Accept: "application/json",
        "Wechatpay-Serial": serial
      }
    })
    const body = await response.text()
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body}`)
    const h = response.headers
    const ts = h.get("wechatpay-timestamp")
    const n = h.get("wechatpay-nonce")
    const sig = h.get("wechatpay-signature")
    if (ts === null || n === null || sig === null || h.get("wechatpay-serial") !== serial) {
      throw new Error("missing or unknown Wechatpay-* headers")
    }
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(ts)) >= 300) throw new Error("stale response")
    if (!Crypto.verify("sha256", Buffer.from(`${ts}\n${n}\n${body}\n`), publicKey, Buffer.from(sig, "base64"))) {
      throw new Error("bad response signature")
    }
    return wireItems(JSON.parse(body))
  }

  return offsetLoop(page)
}
