/**
 * The cost of the pieces alone, on one 50-item page as the sandbox serves it:
 * signing a request message, verifying a response, `JSON.parse`, decoding
 * through core's `FaceCollectionPage` (and through the Schema alone, its
 * fallback), and one whole `execute` of the library over the node layer's real
 * path — core's `Exchange`, here an in-memory one that hands back a canned,
 * correctly signed page — next to the floor's work on the same canned
 * response, so the library's own per-page overhead shows without the network
 * or the server.
 *
 * Run as a child of `run.ts` (results over IPC) or alone: `node dist/micro.js`.
 */
import { Credentials, Exchange, FaceCollection, WechatPayClient } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { FaceCollections } from "@effect-wechatpay/sandbox"
import * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import * as Crypto from "node:crypto"
import { performance } from "node:perf_hooks"
import { LIST_PATH, wireItems } from "./common.js"

export interface MicroRow {
  readonly name: string
  readonly opsPerSec: number
  readonly usPerOp: number
  readonly note: string
}

const quick = process.argv.includes("--quick")
const SAMPLE_MS = quick ? 150 : 300
const SAMPLES = 5

const time = async (op: () => unknown): Promise<number> => {
  for (let i = 0; i < 200; i++) await op()
  const perOp: Array<number> = []
  for (let s = 0; s < SAMPLES; s++) {
    let n = 0
    const t0 = performance.now()
    let elapsed = 0
    do {
      for (let k = 0; k < 20; k++) await op()
      n += 20
      elapsed = performance.now() - t0
    } while (elapsed < SAMPLE_MS)
    perOp.push(elapsed / n)
  }
  perOp.sort((a, b) => a - b)
  return perOp[Math.floor(SAMPLES / 2)]!
}

const timeSync = (op: () => unknown): number => {
  for (let i = 0; i < 200; i++) op()
  const perOp: Array<number> = []
  for (let s = 0; s < SAMPLES; s++) {
    let n = 0
    const t0 = performance.now()
    let elapsed = 0
    do {
      for (let k = 0; k < 20; k++) op()
      n += 20
      elapsed = performance.now() - t0
    } while (elapsed < SAMPLE_MS)
    perOp.push(elapsed / n)
  }
  perOp.sort((a, b) => a - b)
  return perOp[Math.floor(SAMPLES / 2)]!
}

const keyPair = () =>
  Crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })

const PUB_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"

const main = async (): Promise<ReadonlyArray<MicroRow>> => {
  const rows: Array<MicroRow> = []
  const add = (name: string, ms: number, note: string) => {
    rows.push({ name, opsPerSec: 1000 / ms, usPerOp: ms * 1000, note })
    process.stderr.write(`${name}: ${(ms * 1000).toFixed(1)} µs\n`)
  }

  const merchant = keyPair()
  const wechatpay = keyPair()
  const merchantKey = Crypto.createPrivateKey(merchant.privateKey)
  const wechatpayPublic = Crypto.createPublicKey(wechatpay.publicKey)
  const wechatpayPrivate = Crypto.createPrivateKey(wechatpay.privateKey)

  const organizationId = "org-10k"
  const body = JSON.stringify({
    face_collections: FaceCollections.slice({ organizations: { [organizationId]: 10_000 } }, organizationId, 1000, 50)
  })
  const requestPath = `${LIST_PATH}?organization_id=${organizationId}&offset=1000&limit=50`
  const requestMessage = `GET\n${requestPath}\n1700000000\nABCDEFGHIJKLMNOPQRSTUVWXYZ012345\n\n`
  const timestamp = () => String(Math.floor(Date.now() / 1000))
  const ts = timestamp()
  const nonce = "abcdefghijklmnopqrstuvwxyz012345"
  const responseMessage = Buffer.from(`${ts}\n${nonce}\n${body}\n`)
  const signature = Crypto.sign("sha256", responseMessage, wechatpayPrivate)
  const signatureB64 = signature.toString("base64")

  // --- crypto -----------------------------------------------------------------------------------
  add(
    "sign a request message: node:crypto, KeyObject",
    timeSync(() => Crypto.sign("sha256", Buffer.from(requestMessage), merchantKey).toString("base64")),
    "RSA-2048 PKCS#1 v1.5; what the floor and the node layer do"
  )
  add(
    "sign a request message: node:crypto, PEM re-parsed each time",
    timeSync(() => Crypto.createSign("RSA-SHA256").update(requestMessage).sign(merchant.privateKey, "base64")),
    "what wechatpay-node-v3 does (its key is a PEM buffer)"
  )
  const subtle = globalThis.crypto.subtle
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const
  const pkcs8 = merchantKey.export({ format: "der", type: "pkcs8" })
  const webKey = await subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"])
  const encoder = new TextEncoder()
  add(
    "sign a request message: WebCrypto, imported once",
    await time(() => subtle.sign(algorithm, webKey, encoder.encode(requestMessage))),
    "core's default signer (a promise per signature)"
  )
  add(
    "verify one 50-item page response: node:crypto",
    timeSync(() => Crypto.verify("sha256", responseMessage, wechatpayPublic, signature)),
    `body ${body.length} bytes`
  )
  const webPublic = await subtle.importKey(
    "spki",
    wechatpayPublic.export({ format: "der", type: "spki" }),
    algorithm,
    false,
    ["verify"]
  )
  add(
    "verify one 50-item page response: WebCrypto",
    await time(() => subtle.verify(algorithm, webPublic, signature, responseMessage)),
    "core's default verifier"
  )

  // --- parse and decode ----------------------------------------------------------------------------
  add("JSON.parse one 50-item page", timeSync(() => JSON.parse(body)), "")
  const parsed: unknown = JSON.parse(body)
  const decodePage = Schema.decodeUnknownSync(FaceCollection.FaceCollectionPage)
  add(
    "decode one parsed page: core's FaceCollectionPage",
    timeSync(() => decodePage(parsed)),
    "what `execute` runs: the fast path (FaceCollection instances, two DateTime.Zoned fields), the Schema as fallback"
  )
  const decodeSchema = Schema.decodeUnknownSync(Schema.Struct({ face_collections: Schema.Array(FaceCollection.FaceCollection) }))
  add(
    "decode one parsed page: the same contract through the Schema alone",
    timeSync(() => decodeSchema(parsed)),
    "the fallback's cost: what the fast path saves"
  )

  // --- whole page, in-memory exchange ---------------------------------------------------------------
  // The response as the node layer's Exchange hands it over: status, lower-case headers, body text.
  const canned: Exchange.Response = {
    status: 200,
    headers: {
      "content-type": "application/json",
      "request-id": "BENCH-1",
      "wechatpay-timestamp": ts,
      "wechatpay-nonce": nonce,
      "wechatpay-signature": signatureB64,
      "wechatpay-serial": PUB_KEY_ID
    },
    body
  }
  const abort = () => {}
  const exchange = Layer.succeed(
    Exchange.Exchange,
    Exchange.Exchange.of({ exchange: () => ({ response: Promise.resolve(canned), abort }) })
  )
  // Required by the client's type; never called when an Exchange is in context (it would die, failing the bench).
  const unused = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make(() => Effect.dieMessage("the library went through HttpClient, not the Exchange"))
  )
  const credentials = Credentials.layer({
    merchant: { mchid: "1900000001", serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", privateKey: Redacted.make(merchant.privateKey) },
    verification: { publicKey: { id: PUB_KEY_ID, pem: wechatpay.publicKey } }
  })
  const request: WechatPayClient.Request = {
    method: "GET",
    path: LIST_PATH,
    query: [["organization_id", organizationId], ["offset", "1000"], ["limit", "50"]]
  }
  const library = ManagedRuntime.make(
    NodeWechatPayClient.layerWithoutHttpClient({ baseUrl: "http://127.0.0.1:1" }).pipe(
      Layer.provide(Layer.mergeAll(credentials, unused, exchange))
    )
  )
  const client = await library.runPromise(WechatPayClient.WechatPayClient)
  const page = client.execute(request, FaceCollection.FaceCollectionPage)
  const first = await library.runPromise(page)
  if (first.face_collections.length !== 50) throw new Error("the canned page did not decode to 50 items")
  add(
    "one page through the library's execute (node layer, its Exchange path), canned in-memory exchange",
    await time(() => library.runPromise(page)),
    "clock + nonce + sign + one promise (with the deadline timer) + verify + JSON.parse + decode + the Effect steps"
  )
  const NONCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
  const serial = PUB_KEY_ID
  add(
    "one page the floor's way, same canned exchange",
    await time(async () => {
      const timestamp = Math.floor(Date.now() / 1000)
      let nonceStr = ""
      for (const byte of Crypto.randomBytes(32)) nonceStr += NONCE_ALPHABET[byte % 62]
      const signature = Crypto.sign("sha256", Buffer.from(`GET\n${requestPath}\n${timestamp}\n${nonceStr}\n\n`), merchantKey)
        .toString("base64")
      const authorization =
        `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="${nonceStr}",signature="${signature}",timestamp="${timestamp}",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"`
      if (authorization.length === 0) throw new Error("unreachable")
      const response = await Promise.resolve(canned)
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
      const h = response.headers
      const t = h["wechatpay-timestamp"]
      const n = h["wechatpay-nonce"]
      const sig = h["wechatpay-signature"]
      if (t === undefined || n === undefined || sig === undefined || h["wechatpay-serial"] !== serial) {
        throw new Error("missing or unknown Wechatpay-* headers")
      }
      if (Math.abs(Math.floor(Date.now() / 1000) - Number(t)) >= 300) throw new Error("stale response")
      if (!Crypto.verify("sha256", Buffer.from(`${t}\n${n}\n${response.body}\n`), wechatpayPublic, Buffer.from(sig, "base64"))) {
        throw new Error("bad signature")
      }
      return wireItems(JSON.parse(response.body))
    }),
    "nonce + sign + header checks + verify + JSON.parse over the same canned response: the floor's work without the network"
  )
  await library.dispose()
  return rows
}

main().then(
  (rows) => {
    if (process.send !== undefined) process.send(rows, () => process.exit(0))
    else {
      console.log(JSON.stringify(rows, null, 2))
      process.exit(0)
    }
  },
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
