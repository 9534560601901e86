/**
 * The `node:http` floor: the fetch floor's work over `http.request` with a
 * keep-alive `http.Agent` (one socket, reused), instead of global `fetch`.
 * Keys parsed once; the request signed; the response's `Wechatpay-*` headers,
 * serial and clock window checked and its signature verified over the raw
 * body; `JSON.parse`; the same offset loop. The body's chunks are collected
 * and decoded once at the end. This is the cheapest way Node itself offers
 * to send one request: the real floor for any Node transport.
 *
 * `prepareAhead`: the same floor, signing the next page's request while the
 * current one is in flight (in a `setImmediate`, once the request has left),
 * as the library does (core's internal/client/ahead.ts): the floor of a client
 * that overlaps its signing with the wait.
 */
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import { LIST_PATH, nonce, offsetLoop, type Task, wireItems } from "../common.js"
import type { Listing } from "./types.js"


interface Answer {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

const header = (headers: Http.IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : undefined
}

export const prepare = (task: Task): Promise<Listing> => make(task, false)
export const prepareAhead = (task: Task): Promise<Listing> => make(task, true)

interface Signed {
  readonly path: string
  readonly timestamp: number
  readonly nonce: string
  signature: string | undefined
}

const make = async (task: Task, ahead: boolean): Promise<Listing> => {
  const { sandbox } = task
  const privateKey = Crypto.createPrivateKey(sandbox.merchantPrivateKeyPem)
  const publicKey = Crypto.createPublicKey(sandbox.platformCertificatePem)
  const serial = sandbox.platformCertificateSerial
  const org = encodeURIComponent(task.organizationId)
  const url = new URL(sandbox.url)
  const agent = new Http.Agent({ keepAlive: true })

  const get = (path: string, headers: Http.OutgoingHttpHeaders) =>
    new Promise<Answer>((resolve, reject) => {
      const request = Http.request({ host: url.hostname, port: url.port, path, method: "GET", headers, agent }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")
          }))
        response.on("error", reject)
      })
      request.on("error", reject)
      request.end()
    })

  const pathOf = (offset: number) => `${LIST_PATH}?organization_id=${org}&offset=${offset}&limit=${task.limit}`
  const sign = (signed: Signed): string =>
    Crypto.sign("sha256", Buffer.from(`GET\n${signed.path}\n${signed.timestamp}\n${signed.nonce}\n\n`), privateKey)
      .toString("base64")
  const unsigned = (path: string): Signed => ({ path, timestamp: Math.floor(Date.now() / 1000), nonce: nonce(), signature: undefined })
  let next: Signed | undefined

  const page = async (offset: number) => {
    const path = pathOf(offset)
    const made = next !== undefined && next.path === path && next.signature !== undefined ? next : undefined
    const signed = made ?? unsigned(path)
    const signature = made?.signature ?? sign(signed)
    const { nonce: nonceStr, timestamp } = signed
    if (ahead) {
      const following = unsigned(pathOf(offset + task.limit))
      next = following
      setImmediate(() => {
        if (next === following) following.signature = sign(following)
      })
    }
    const { body, headers: h, status } = await get(path, {
      Authorization:
        `WECHATPAY2-SHA256-RSA2048 mchid="${sandbox.mchid}",nonce_str="${nonceStr}",signature="${signature}",timestamp="${timestamp}",serial_no="${sandbox.merchantSerial}"`,
      Accept: "application/json",
      "Wechatpay-Serial": serial
    })
    if (status !== 200) throw new Error(`HTTP ${status}: ${body}`)
    const ts = header(h, "wechatpay-timestamp")
    const n = header(h, "wechatpay-nonce")
    const sig = header(h, "wechatpay-signature")
    if (ts === undefined || n === undefined || sig === undefined || header(h, "wechatpay-serial") !== serial) {
      throw new Error("missing or unknown Wechatpay-* headers")
    }
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(ts)) >= 300) throw new Error("stale response")
    if (!Crypto.verify("sha256", Buffer.from(`${ts}\n${n}\n${body}\n`), publicKey, Buffer.from(sig, "base64"))) {
      throw new Error("bad response signature")
    }
    return wireItems(JSON.parse(body))
  }

  const loop = offsetLoop(page)
  return async () => {
    try {
      return await loop()
    } finally {
      agent.destroy()
    }
  }
}
