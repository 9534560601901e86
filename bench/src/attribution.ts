/**
 * What each prototype change saves, measured without the network and the
 * server: `allCollections` over an in-memory transport that answers every page
 * with a canned, correctly signed body (real signing and verification: the
 * node layer's signer and verifier), 10 000 items at limit 50 per listing.
 * Core, the prototype with everything on, and the prototype with one change
 * off at a time, interleaved round after round; median per-page time. The
 * prototype's raw exchange (`raw`) is given the same canned pages.
 *
 *   node bench/dist/attribution.js [rounds=7]
 */
import { Credentials, FaceCollections, type WechatPayClient, type WechatPayError } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { FaceCollections as Data } from "@effect-wechatpay/sandbox"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import * as Crypto from "node:crypto"
import { performance } from "node:perf_hooks"
import { median } from "./harness.js"
import * as Proto from "./proto/index.js"

const PUB_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"
const ITEMS = 10_000
const LIMIT = 50

const keyPair = () =>
  Crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })

const main = async () => {
  const rounds = Number(process.argv[2] ?? 7)
  const merchant = keyPair()
  const wechatpay = keyPair()
  const signingKey = Crypto.createPrivateKey(wechatpay.privateKey)
  const organizations = { org: ITEMS }
  // Every page of the organization, signed once (timestamps stay within the 300 s window for the run).
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signed = (body: string, i: number) => {
    const nonce = `nonce${String(i).padStart(27, "0")}`
    return {
      body,
      headers: {
        "content-type": "application/json",
        "request-id": `REQ-${i}`,
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": nonce,
        "wechatpay-signature": Crypto.sign("sha256", Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), signingKey).toString("base64"),
        "wechatpay-serial": PUB_KEY_ID
      }
    }
  }
  const pages = new Map<number, ReturnType<typeof signed>>()
  for (let offset = 0; offset <= ITEMS; offset += LIMIT) {
    pages.set(offset, signed(JSON.stringify({ face_collections: Data.slice({ organizations }, "org", offset, LIMIT) }), offset))
  }
  const transport = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) =>
      Effect.sync(() => {
        const page = pages.get(Number(url.searchParams.get("offset")))!
        return HttpClientResponse.fromWeb(request, new Response(page.body, { status: 200, headers: page.headers }))
      })
    )
  )
  // The same canned pages through the prototype's raw exchange (PROTO(raw)), for the variants that use it.
  const rawTransport = Layer.succeed(Proto.RawTransport, {
    request: (_method, _origin, path) => {
      const page = pages.get(Number(new URLSearchParams(path.slice(path.indexOf("?") + 1)).get("offset")))!
      return Promise.resolve({ status: 200, headers: page.headers, body: page.body })
    }
  })
  const credentials = Credentials.layer({
    merchant: {
      mchid: "1900000001",
      serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
      privateKey: Redacted.make(merchant.privateKey)
    },
    verification: { publicKey: { id: PUB_KEY_ID, pem: wechatpay.publicKey } }
  })
  const deps = Layer.merge(credentials, transport)
  const options = { baseUrl: "http://127.0.0.1:1" }
  const core = ManagedRuntime.make(NodeWechatPayClient.layerWithoutHttpClient(options).pipe(Layer.provide(deps)))
  const count = <E, R>(stream: Stream.Stream<unknown, E, R>) => Stream.runCount(stream)

  type Variant = { readonly name: string; readonly off: ReadonlyArray<Proto.TuningName> }
  // With the raw exchange on, the changes to the HttpClient path (`tracer`, `headers`) are bypassed:
  // they are measured a second time over the HttpClient path (`raw` off).
  const viaHttpClient = Proto.tuningNames.filter((name) => name !== "raw")
  const variants: ReadonlyArray<Variant> = [
    { name: "prototype, every change on", off: [] },
    ...Proto.tuningNames.map((name) => ({ name: `prototype without \`${name}\``, off: [name] })),
    { name: "prototype over HttpClient (`raw` off), every other change on", off: ["raw"] },
    ...viaHttpClient.map((name) => ({
      name: `prototype over HttpClient without \`${name}\``,
      off: ["raw", name] as ReadonlyArray<Proto.TuningName>
    })),
    { name: "prototype, every change off", off: Proto.tuningNames }
  ]
  // One runtime per variant (`tracer` and `nonce` are read when the layer is built).
  const runtimes = new Map<string, ManagedRuntime.ManagedRuntime<WechatPayClient.WechatPayClient, WechatPayError.WechatPayConfigError>>()
  const setTuning = (off: ReadonlyArray<Proto.TuningName>) => {
    for (const name of Proto.tuningNames) Proto.tuning[name] = !off.includes(name)
  }
  for (const variant of variants) {
    setTuning(variant.off)
    const runtime = ManagedRuntime.make(
      Proto.layerNodeWithoutHttpClient(options).pipe(Layer.provide(Layer.merge(deps, rawTransport)))
    )
    await runtime.runtime()
    runtimes.set(variant.name, runtime)
  }

  const perPage = new Map<string, Array<number>>()
  const record = (name: string, ms: number) => {
    const list = perPage.get(name) ?? []
    list.push((ms * 1000) / (ITEMS / LIMIT + 1))
    perPage.set(name, list)
  }
  for (let round = 0; round < rounds; round++) {
    {
      const t0 = performance.now()
      const n = await core.runPromise(count(FaceCollections.allCollections("org", { limit: LIMIT })))
      if (n !== ITEMS) throw new Error(`core listed ${n}`)
      if (round > 0) record("core (packages/core as it is)", performance.now() - t0)
    }
    for (const variant of variants) {
      setTuning(variant.off)
      const runtime = runtimes.get(variant.name)!
      const t0 = performance.now()
      const n = await runtime.runPromise(count(Proto.allCollections("org", { limit: LIMIT })))
      if (n !== ITEMS) throw new Error(`${variant.name} listed ${n}`)
      if (round > 0) record(variant.name, performance.now() - t0)
    }
    process.stderr.write(`round ${round + 1}/${rounds}\n`)
  }
  const coreMedian = median(perPage.get("core (packages/core as it is)")!)
  const all = median(perPage.get("prototype, every change on")!)
  const overHttp = median(perPage.get("prototype over HttpClient (`raw` off), every other change on")!)
  const rows = [...perPage].map(([name, list]) => {
    const m = median(list)
    const gain = name.startsWith("prototype without")
      ? `${(m - all).toFixed(0)} µs`
      : name.startsWith("prototype over HttpClient without")
      ? `${(m - overHttp).toFixed(0)} µs`
      : ""
    return `| ${name} | ${m.toFixed(0)} | ${Math.min(...list).toFixed(0)}–${Math.max(...list).toFixed(0)} | ${
      ((100 * m) / coreMedian).toFixed(0)
    } % | ${gain} |`
  })
  process.stdout.write([
    `In-memory transport, canned signed pages, ${ITEMS.toLocaleString("en-US")} items at limit ${LIMIT} per listing, ${
      rounds - 1
    } measured rounds (the first is warm-up).`,
    "",
    "| variant | µs per page (median) | min–max | of core | that change saves |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows,
    ""
  ].join("\n"))
  await core.dispose()
  for (const runtime of runtimes.values()) await runtime.dispose()
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
