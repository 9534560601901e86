import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import * as NodeCrypto from "node:crypto"
import { FaceCollections, Faults, Sandbox } from "@effect-wechatpay/sandbox"
import { asResponse, authorization, header, json, nonce, signed, verifies } from "./helpers.js"


// One key generation per file (the shared layer); every sandbox below reuses these keys.
const make = (options: Sandbox.Options = {}) =>
  Effect.flatMap(Sandbox.SandboxKeys, (keys) => Sandbox.make({ ...keys, ...options }))

const org = "1234567"
const listUrl = (query: string) => `/v3/offlineface/face-collections?${query}`

layer(Sandbox.layerKeys)("authentication", (it) => {
  it.effect("accepts a correctly signed request and signs the response", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make()
      const url = listUrl(`organization_id=${org}&offset=0&limit=5`)
      const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url })))
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ face_collections: sandbox.expectedItems(org).slice(0, 5) })
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      expect(res.headers["Wechatpay-Timestamp"]).toBe("1700000000")
      expect(res.headers["Wechatpay-Nonce"]).toMatch(/^[0-9A-Za-z]{32}$/)
      expect(res.headers["Wechatpay-Serial"]).toBe("PUB_KEY_ID_0119000000012025010100000000000001")
      expect(res.headers["Wechatpay-Signature-Type"]).toBe("WECHATPAY2-SHA256-RSA2048")
      expect(res.headers["Content-Type"]).toBe("application/json")
      expect(res.headers["Request-ID"]).toBeTruthy()
    }))

  it.effect("signInParallel: answers signed on the thread pool verify the same, and many at once all verify", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make({ signInParallel: true })
      const answers = yield* Effect.forEach(
        [0, 5, 10, 15, 20, 25, 30, 35],
        (offset) =>
          Effect.flatMap(
            signed(sandbox.config, { url: listUrl(`organization_id=${org}&offset=${offset}&limit=5`) }),
            sandbox.handle
          ),
        { concurrency: "unbounded" }
      )
      for (const [i, answer] of answers.entries()) {
        const res = asResponse(answer)
        expect(res.status).toBe(200)
        expect(JSON.parse(res.body)).toEqual({ face_collections: sandbox.expectedItems(org).slice(i * 5, i * 5 + 5) })
        expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
        expect(res.headers["Wechatpay-Timestamp"]).toBe("1700000000")
      }
    }))

  it.effect("accepts the Authorization pairs in any order and works at Clock time 0", () =>
    Effect.gen(function*() {
      // The tests of a layer share its TestClock: set it, not assume it.
      yield* TestClock.setTime(0)
      const sandbox = yield* make()
      const url = listUrl(`organization_id=${org}`)
      const auth = authorization(sandbox.config, { url, timestamp: "0" })
      const pairs = auth.slice("WECHATPAY2-SHA256-RSA2048 ".length).split(",").reverse().join(",")
      const res = asResponse(
        yield* sandbox.handle({
          method: "GET",
          url,
          headers: { Authorization: `WECHATPAY2-SHA256-RSA2048 ${pairs}` }
        })
      )
      expect(res.status).toBe(200)
    }))

  it.effect("every response has a unique Request-ID", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const ids = new Set<string>()
      for (let i = 0; i < 5; i++) {
        const res = asResponse(yield* sandbox.handle({ method: "GET", url: "/", headers: {} }))
        ids.add(res.headers["Request-ID"] ?? "")
      }
      expect(ids.size).toBe(5)
    }))

  const rejects = (
    name: string,
    request: (config: Sandbox.SandboxConfig) => Effect.Effect<Sandbox.SandboxRequest, never, Sandbox.SandboxKeys>,
    reason: RegExp
  ) =>
    it.effect(`401 SIGN_ERROR: ${name}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_700_000_000_000)
        const sandbox = yield* make()
        const req = yield* request(sandbox.config)
        const res = asResponse(yield* sandbox.handle(req))
        expect(res.status).toBe(401)
        const body = JSON.parse(res.body) as { code: string; message: string }
        expect(body.code).toBe("SIGN_ERROR")
        expect(body.message).toMatch(reason)
        // the signature is never echoed
        const auth = req.headers["authorization"]
        const sig = typeof auth === "string" ? /signature="([^"]+)"/.exec(auth)?.[1] : undefined
        if (sig !== undefined) expect(res.body).not.toContain(sig)
        // error responses are signed too
        expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      }))

  const url = listUrl(`organization_id=${org}&offset=0&limit=20`)
  rejects("missing Authorization", () => Effect.succeed({ method: "GET", url, headers: {} }), /missing Authorization/)
  rejects(
    "another scheme",
    () => Effect.succeed({ method: "GET", url, headers: { authorization: "Bearer abc" } }),
    /scheme/
  )
  rejects(
    "malformed pairs",
    () =>
      Effect.succeed({
        method: "GET",
        url,
        headers: { authorization: "WECHATPAY2-SHA256-RSA2048 mchid=1900000001,nonce_str=\"x\"" }
      }),
    /malformed/
  )
  rejects(
    "a missing field",
    (c) =>
      Effect.succeed({
        method: "GET",
        url,
        headers: {
          authorization: authorization(c, { url, timestamp: "1700000000" }).replace(/,serial_no="[^"]*"/, "")
        }
      }),
    /lacks serial_no/
  )
  rejects("bad signature", (c) => signed(c, { url, signedUrl: listUrl(`organization_id=${org}`) }), /does not verify/)
  rejects("signature by another key", (c) => Effect.flatMap(Sandbox.SandboxKeys, (keys) => signed(c, { url, privateKeyPem: keys.platformPrivateKeyPem })), /verify/)
  rejects("body not the signed one", (c) =>
    Effect.map(signed(c, { url, method: "POST", body: "{\"a\":1}" }), (r) => ({ ...r, body: "{\"a\":2}" })), /verify/)
  rejects("wrong mchid", (c) => signed(c, { url, mchid: "1900000002" }), /mchid 1900000002 does not match/)
  rejects("wrong serial_no", (c) => signed(c, { url, serial: "ABC" }), /serial_no ABC/)
  rejects("stale timestamp", (c) => signed(c, { url, timestamp: String(1_700_000_000 - 300) }), /300 s away/)
  rejects("future timestamp", (c) => signed(c, { url, timestamp: String(1_700_000_000 + 301) }), /301 s away/)
  rejects("timestamp in milliseconds", (c) => signed(c, { url, timestamp: "1700000000000" }), /milliseconds/)
  rejects("non-numeric timestamp", (c) => signed(c, { url, timestamp: "soon" }), /decimal integer/)

  it.effect("accepts a timestamp 299 s old", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make()
      const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url, timestamp: "1699999701" })))
      expect(res.status).toBe(200)
    }))

  it.effect("401 SIGN_ERROR: replayed nonce within 10 minutes, accepted again afterwards", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make()
      const n = nonce()
      const first = yield* signed(sandbox.config, { url, nonce: n })
      expect(asResponse(yield* sandbox.handle(first)).status).toBe(200)
      const replay = asResponse(yield* sandbox.handle(first))
      expect(replay.status).toBe(401)
      expect(JSON.parse(replay.body).message).toMatch(/nonce_str was already used/)
      // same nonce, fresh timestamp, 9 minutes later: still a replay
      yield* TestClock.adjust("9 minutes")
      expect(asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url, nonce: n }))).status).toBe(401)
      yield* TestClock.adjust("61 seconds")
      expect(asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url, nonce: n }))).status).toBe(200)
    }))

  it.effect("a request whose signature fails does not consume its nonce", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const n = nonce()
      const bad = yield* signed(sandbox.config, { url, nonce: n, signedUrl: "/other" })
      expect(asResponse(yield* sandbox.handle(bad)).status).toBe(401)
      expect(asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url, nonce: n }))).status).toBe(200)
    }))
})

layer(Sandbox.layerKeys)("face-collections list", (it) => {
  it.effect("pages cover exactly the organization's items, in order", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const all: Array<unknown> = []
      const sizes: Array<number> = []
      for (let offset = 0;; offset += 20) {
        const body = json(
          yield* sandbox.handle(
            yield* signed(sandbox.config, { url: listUrl(`organization_id=${org}&offset=${offset}&limit=20`) })
          )
        ) as { face_collections: Array<unknown> }
        all.push(...body.face_collections)
        sizes.push(body.face_collections.length)
        if (body.face_collections.length < 20) break
      }
      expect(sizes).toEqual([...Array(12).fill(20), 10])
      expect(all).toEqual(FaceCollections.expectedItems(sandbox.data, org))
      expect(all).toHaveLength(250)
    }))

  it.effect("offset defaults to 0 and limit to 20; an offset past the end gives an empty page", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const page = json(yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl(`organization_id=${org}`) })))
      expect(page).toEqual({ face_collections: sandbox.expectedItems(org).slice(0, 20) })
      const past = json(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl(`organization_id=${org}&offset=1000`) }))
      )
      expect(past).toEqual({ face_collections: [] })
      const empty = json(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl("organization_id=7654321") }))
      )
      expect(empty).toEqual({ face_collections: [] })
    }))

  it.effect("a million-item organization is served lazily", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ organizations: { big: 1_000_000 } })
      const page = json(
        yield* sandbox.handle(
          yield* signed(sandbox.config, { url: listUrl("organization_id=big&offset=999990&limit=20") })
        )
      ) as { face_collections: Array<FaceCollections.FaceCollectionWire> }
      expect(page.face_collections).toHaveLength(10)
      expect(page.face_collections[0]).toEqual(sandbox.itemAt("big", 999_990))
      expect(page.face_collections[9]?.collection_id).toBe("FCbig-0000999999")
    }))

  it.effect("the canonical URL is the raw target: percent-encoding is signed as sent", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ organizations: { "a b/c": 3 } })
      const url = listUrl("organization_id=a%20b%2Fc&limit=2")
      const ok = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url })))
      expect(ok.status).toBe(200)
      expect(JSON.parse(ok.body)).toEqual({ face_collections: sandbox.expectedItems("a b/c").slice(0, 2) })
      // signing a re-encoded form of the same query is a different message
      const reencoded = asResponse(
        yield* sandbox.handle(yield* signed(sandbox.config, { url, signedUrl: listUrl("organization_id=a+b%2Fc&limit=2") }))
      )
      expect(reencoded.status).toBe(401)
    }))

  const paramError = (query: string, field: string, issue: RegExp, options: Sandbox.Options = {}) =>
    it.effect(`400 PARAM_ERROR: ${query || "(no query)"}`, () =>
      Effect.gen(function*() {
        const sandbox = yield* make(options)
        const url = query === "" ? "/v3/offlineface/face-collections" : listUrl(query)
        const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url })))
        expect(res.status).toBe(400)
        const body = JSON.parse(res.body) as {
          code: string
          message: string
          detail: { field: string; value: unknown; issue: string; location: string }
        }
        expect(body.code).toBe("PARAM_ERROR")
        expect(body.detail.field).toBe(field)
        expect(body.detail.location).toBe("query")
        expect(body.detail.issue).toMatch(issue)
        expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      }))

  paramError("", "organization_id", /missing/)
  paramError("offset=0&limit=20", "organization_id", /missing/)
  paramError("organization_id=", "organization_id", /missing/)
  paramError(`organization_id=${org}&organization_id=1`, "organization_id", /more than once/)
  paramError(`organization_id=${org}&offset=-1`, "offset", /non-negative integer/)
  paramError(`organization_id=${org}&offset=1.5`, "offset", /non-negative integer/)
  paramError(`organization_id=${org}&offset=abc`, "offset", /non-negative integer/)
  paramError(`organization_id=${org}&offset=`, "offset", /non-negative integer/)
  paramError(`organization_id=${org}&limit=0`, "limit", /too small/)
  paramError(`organization_id=${org}&limit=201`, "limit", /too large/)
  paramError(`organization_id=${org}&limit=1e2`, "limit", /non-negative integer/)
  paramError(`organization_id=${org}&limit=51`, "limit", /too large/, { maxLimit: 50 })

  it.effect("limit = maxLimit is accepted; an unknown organization is 404", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const max = asResponse(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl(`organization_id=${org}&limit=200`) }))
      )
      expect((JSON.parse(max.body) as { face_collections: Array<unknown> }).face_collections).toHaveLength(200)
      const unknown = asResponse(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl("organization_id=nope") }))
      )
      expect(unknown.status).toBe(404)
      expect(JSON.parse(unknown.body).code).toBe("RESOURCE_NOT_EXISTS")
    }))
})

layer(Sandbox.layerKeys)("face-collections detail and routing", (it) => {
  it.effect("returns one item by id, 404 RESOURCE_NOT_EXISTS otherwise", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const item = sandbox.itemAt(org, 42)
      expect(item).toBeDefined()
      const ok = asResponse(
        yield* sandbox.handle(
          yield* signed(sandbox.config, { url: `/v3/offlineface/face-collections/${item?.collection_id}` })
        )
      )
      expect(ok.status).toBe(200)
      expect(JSON.parse(ok.body)).toEqual(item)
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, ok.headers, ok.body)).toBe(true)
      for (
        const id of [
          FaceCollections.collectionId(org, 250),
          FaceCollections.collectionId("nope", 0),
          "garbage",
          "%E0%A4%A"
        ]
      ) {
        const res = asResponse(
          yield* sandbox.handle(yield* signed(sandbox.config, { url: `/v3/offlineface/face-collections/${id}` }))
        )
        expect(res.status).toBe(404)
        expect(JSON.parse(res.body).code).toBe("RESOURCE_NOT_EXISTS")
      }
    }))

  it.effect("anything else is 404 with a signed JSON body", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      for (
        const [method, url] of [["GET", "/v3/no-such-endpoint"], ["POST", listUrl(`organization_id=${org}`)], [
          "GET",
          "/v3/offlineface/face-collections/a/b"
        ]] as const
      ) {
        const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { method, url })))
        expect(res.status).toBe(404)
        expect(JSON.parse(res.body).code).toBe("NOT_FOUND")
        expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      }
    }))
})

layer(Sandbox.layerKeys)("key modes", (it) => {
  const url = listUrl(`organization_id=${org}&limit=1`)

  it.effect("certificate mode signs with the platform certificate", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ mode: "certificate" })
      const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url })))
      expect(res.headers["Wechatpay-Serial"]).toBe(sandbox.config.platformCertificateSerial)
      expect(sandbox.config.platformCertificateSerial).toMatch(/^[0-9A-F]{32}$/)
      expect(verifies(sandbox.config.platformCertificatePem, res.headers, res.body)).toBe(true)
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(false)
    }))

  it.effect("migration mode follows the request's Wechatpay-Serial", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ mode: "migration" })
      const c = sandbox.config
      const withPub = asResponse(
        yield* sandbox.handle(yield* signed(c, { url }, { "Wechatpay-Serial": c.wechatpayPublicKeyId }))
      )
      expect(withPub.headers["Wechatpay-Serial"]).toBe(c.wechatpayPublicKeyId)
      expect(verifies(c.wechatpayPublicKeyPem, withPub.headers, withPub.body)).toBe(true)
      for (const extra of [{}, { "Wechatpay-Serial": c.platformCertificateSerial }]) {
        const res = asResponse(yield* sandbox.handle(yield* signed(c, { url }, extra)))
        expect(res.headers["Wechatpay-Serial"]).toBe(c.platformCertificateSerial)
        expect(verifies(c.platformCertificatePem, res.headers, res.body)).toBe(true)
      }
    }))

  it.effect("fixed keys and ids from options are used", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({
        mchid: "1230000109",
        merchantSerial: "ABCDEF",
        wechatpayPublicKeyId: "PUB_KEY_ID_0000000000000000000000000000000042",
        platformCertificateSerial: "0123456789ABCDEF0123456789ABCDEF"
      })
      expect(sandbox.config.platformCertificateSerial).toBe("0123456789ABCDEF0123456789ABCDEF")
      const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url })))
      expect(res.status).toBe(200)
      expect(res.headers["Wechatpay-Serial"]).toBe("PUB_KEY_ID_0000000000000000000000000000000042")
    }))
})

layer(Sandbox.layerKeys)("faults", (it) => {
  const url = listUrl(`organization_id=${org}&limit=20`)
  const run = (sandbox: Sandbox.Service, extra: Record<string, string> = {}) =>
    Effect.flatMap(signed(sandbox.config, { url }, extra), sandbox.handle)

  it.effect("429 first=2 with Retry-After, before authentication", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({
        faults: { faults: [{ kind: "429", select: Faults.first(2), retryAfter: 3 }] }
      })
      for (let i = 0; i < 2; i++) {
        const res = asResponse(yield* sandbox.handle({ method: "GET", url, headers: {} }))
        expect(res.status).toBe(429)
        expect(JSON.parse(res.body).code).toBe("FREQUENCY_LIMITED")
        expect(res.headers["Retry-After"]).toBe("3")
        expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      }
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
    }))

  it.effect("500 rate=p is deterministic for a seed", () =>
    Effect.gen(function*() {
      const pattern = (seed: number) =>
        Effect.gen(function*() {
          const sandbox = yield* make({ seed, faults: Faults.parseFaults("500:rate=0.3").pipe((e) => e._tag === "Right" ? e.right : {}) })
          const statuses: Array<number> = []
          for (let i = 0; i < 40; i++) statuses.push(asResponse(yield* run(sandbox)).status)
          return statuses
        })
      const a = yield* pattern(7)
      expect(yield* pattern(7)).toEqual(a)
      expect(new Set(a)).toEqual(new Set([200, 500]))
      const errors = a.filter((s) => s === 500).length
      expect(errors).toBeGreaterThan(3)
      expect(errors).toBeLessThan(25)
      expect(yield* pattern(8)).not.toEqual(a)
    }))

  it.effect("reset nth=2: handle answers \"reset\"", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { faults: [{ kind: "reset", select: Faults.nth(2) }] } })
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
      expect(yield* run(sandbox)).toBe("reset")
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
      const records = yield* sandbox.requests
      expect(records.map((r) => r.status)).toEqual([200, "reset", 200])
      expect(records[1]?.faults).toEqual(["reset"])
    }))

  it.effect("tamper: the body no longer matches its signature", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { faults: [{ kind: "tamper", select: Faults.every }] } })
      const res = asResponse(yield* run(sandbox))
      expect(res.status).toBe(200)
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(false)
      expect(res.body).not.toEqual(JSON.stringify({ face_collections: sandbox.expectedItems(org).slice(0, 20) }))
      // also on a body without digits (an empty page)
      const empty = asResponse(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl("organization_id=7654321") }))
      )
      expect(JSON.parse(empty.body)).toEqual({ face_collections: [] })
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, empty.headers, empty.body)).toBe(false)
    }))

  it.effect("probe: a WECHATPAY/SIGNTEST/ signature", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { faults: [{ kind: "probe", select: Faults.nth(1) }] } })
      const res = asResponse(yield* run(sandbox))
      expect(res.headers["Wechatpay-Signature"]).toMatch(/^WECHATPAY\/SIGNTEST\//)
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(false)
    }))

  it.effect("stale: timestamp 600 s old, correctly signed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make({ faults: { faults: [{ kind: "stale", select: Faults.nth(1) }] } })
      const res = asResponse(yield* run(sandbox))
      expect(res.headers["Wechatpay-Timestamp"]).toBe(String(1_700_000_000 - 600))
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
    }))

  it.effect("wrong-serial: an unknown Wechatpay-Serial, in both key kinds", () =>
    Effect.gen(function*() {
      for (const mode of ["publicKey", "certificate"] as const) {
        const sandbox = yield* make({ mode, faults: { faults: [{ kind: "wrong-serial", select: Faults.nth(1) }] } })
        const res = asResponse(yield* run(sandbox))
        const serial = res.headers["Wechatpay-Serial"]
        expect(serial).toBeDefined()
        expect(serial).not.toBe(sandbox.config.wechatpayPublicKeyId)
        expect(serial).not.toBe(sandbox.config.platformCertificateSerial)
        const key = mode === "publicKey" ? sandbox.config.wechatpayPublicKeyPem : sandbox.config.platformCertificatePem
        expect(verifies(key, res.headers, res.body)).toBe(true)
      }
    }))

  it.effect("missing-header: no Wechatpay-Signature (or the named header)", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({
        faults: Faults.parseFaults("missing-header:nth=1,missing-header:nth=2:header=Wechatpay-Nonce").pipe((e) =>
          e._tag === "Right" ? e.right : {}
        )
      })
      const a = asResponse(yield* run(sandbox))
      expect(header(a.headers, "Wechatpay-Signature")).toBeUndefined()
      expect(header(a.headers, "Wechatpay-Nonce")).toBeDefined()
      const b = asResponse(yield* run(sandbox))
      expect(header(b.headers, "Wechatpay-Nonce")).toBeUndefined()
      expect(header(b.headers, "Wechatpay-Signature")).toBeDefined()
    }))

  it.effect("malformed-json: not JSON, correctly signed", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { faults: [{ kind: "malformed-json", select: Faults.nth(1) }] } })
      const res = asResponse(yield* run(sandbox))
      expect(() => JSON.parse(res.body)).toThrow()
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
    }))

  it.effect("unknown-state: the first item gets PHOTO_REVIEWING, correctly signed", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { faults: [{ kind: "unknown-state", select: Faults.every }] } })
      const res = asResponse(yield* run(sandbox))
      const items = (JSON.parse(res.body) as { face_collections: Array<FaceCollections.FaceCollectionWire> })
        .face_collections
      const expected = sandbox.expectedItems(org).slice(0, 20)
      expect(items[0]).toEqual({ ...expected[0], collection_state: "PHOTO_REVIEWING" })
      expect(items.slice(1)).toEqual(expected.slice(1))
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
      const one = asResponse(
        yield* sandbox.handle(
          yield* signed(sandbox.config, { url: `/v3/offlineface/face-collections/${expected[3]?.collection_id}` })
        )
      )
      expect(JSON.parse(one.body).collection_state).toBe("PHOTO_REVIEWING")
      // no effect on errors
      const err = asResponse(yield* sandbox.handle({ method: "GET", url, headers: {} }))
      expect(err.status).toBe(401)
      expect((yield* sandbox.requests).map((r) => r.faults)).toEqual([["unknown-state"], ["unknown-state"], []])
    }))

  it.effect("cap=7: every page silently holds at most 7 items", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { cap: 7 } })
      const page = json(yield* run(sandbox)) as { face_collections: Array<unknown> }
      expect(page.face_collections).toEqual(sandbox.expectedItems(org).slice(0, 7))
      const small = json(
        yield* sandbox.handle(yield* signed(sandbox.config, { url: listUrl(`organization_id=${org}&offset=3&limit=5`) }))
      ) as { face_collections: Array<unknown> }
      expect(small.face_collections).toEqual(sandbox.expectedItems(org).slice(3, 8))
    }))

  it.effect("quota=3: a fourth request within one second of the Clock is 429", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { quota: 3, retryAfter: 1 } })
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) statuses.push(asResponse(yield* run(sandbox)).status)
      expect(statuses).toEqual([200, 200, 200, 429])
      yield* TestClock.adjust("999 millis")
      const limited = asResponse(yield* run(sandbox))
      expect(limited.status).toBe(429)
      expect(limited.headers["Retry-After"]).toBe("1")
      yield* TestClock.adjust("1 millis")
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
    }))

  it.effect("latency=20: each request sleeps 20 ms of the Clock", () =>
    Effect.gen(function*() {
      const sandbox = yield* make({ faults: { latency: 20 } })
      const fiber = yield* Effect.fork(run(sandbox))
      yield* TestClock.adjust("19 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(asResponse(yield* Fiber.join(fiber)).status).toBe(200)
    }))

  it.effect("setFaults replaces the plan and restarts the numbering", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
      yield* sandbox.setFaults({ faults: [{ kind: "500", select: Faults.nth(1, 3) }] })
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) statuses.push(asResponse(yield* run(sandbox)).status)
      expect(statuses).toEqual([500, 200, 500, 200])
      yield* sandbox.setFaults(Faults.none)
      expect(asResponse(yield* run(sandbox)).status).toBe(200)
    }))
})

layer(Sandbox.layerKeys)("request records", (it) => {
  it.effect("records method, url, nonce, timestamp, Wechatpay-Serial and status; bounded history, exact count", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const sandbox = yield* make({ historySize: 3 })
      const url = listUrl(`organization_id=${org}`)
      const n = nonce()
      yield* sandbox.handle(yield* signed(sandbox.config, { url, nonce: n }, { "Wechatpay-Serial": "X" }))
      const first = (yield* sandbox.requests)[0]
      expect(first).toMatchObject({
        seq: 1,
        method: "GET",
        url,
        nonce: n,
        timestamp: "1700000000",
        wechatpaySerial: "X",
        status: 200,
        receivedAt: 1_700_000_000_000
      })
      for (let i = 0; i < 4; i++) yield* sandbox.handle({ method: "GET", url: `/x${i}`, headers: {} })
      expect(yield* sandbox.requestCount).toBe(5)
      const records = yield* sandbox.requests
      expect(records.map((r) => [r.seq, r.url, r.status])).toEqual([[3, "/x1", 401], [4, "/x2", 401], [5, "/x3", 401]])
    }))
})

layer(Sandbox.layerKeys)("in-memory HttpClient", (it) => {
  const TestLive = Layer.unwrapEffect(Effect.map(Sandbox.SandboxKeys, (keys) =>
    Sandbox.layerWithHttpClient({
      ...keys,
      faults: { faults: [{ kind: "reset", select: Faults.nth(2) }] }
    })))

  it.effect("routes requests to the sandbox with the URL as built; reset is a transport RequestError", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.Sandbox
      const http = yield* HttpClient.HttpClient
      const path = listUrl(`organization_id=${org}&offset=20&limit=3`)
      const request = () =>
        Effect.map(signed(sandbox.config, { url: path }), (r) =>
          HttpClientRequest.get(`https://api.mch.weixin.qq.com${path}`).pipe(
            HttpClientRequest.setHeader("Authorization", String(r.headers["authorization"])),
            HttpClientRequest.setHeader("Wechatpay-Serial", sandbox.config.wechatpayPublicKeyId)
          ))
      const res = yield* http.execute(yield* request())
      expect(res.status).toBe(200)
      const text = yield* res.text
      expect(JSON.parse(text)).toEqual({ face_collections: sandbox.expectedItems(org).slice(20, 23) })
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, text)).toBe(true)
      const err = yield* Effect.flip(http.execute(yield* request()))
      expect(err._tag).toBe("RequestError")
      if (err._tag === "RequestError") expect(err.reason).toBe("Transport")
      const records = yield* sandbox.requests
      expect(records.map((r) => [r.url, r.status, r.wechatpaySerial])).toEqual([
        [path, 200, sandbox.config.wechatpayPublicKeyId],
        [path, "reset", sandbox.config.wechatpayPublicKeyId]
      ])
    }).pipe(Effect.provide(TestLive)))
})

layer(Sandbox.layerKeys)("platform certificates (GET /v3/certificates)", (it) => {
  const decrypt = (apiV3Key: string, sealed: { nonce: string; associated_data: string; ciphertext: string }) => {
    const data = Buffer.from(sealed.ciphertext, "base64")
    const decipher = NodeCrypto.createDecipheriv("aes-256-gcm", Buffer.from(apiV3Key), Buffer.from(sealed.nonce))
    decipher.setAAD(Buffer.from(sealed.associated_data))
    decipher.setAuthTag(data.subarray(data.length - 16))
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8")
  }

  it.effect("public-key mode: 404 RESOURCE_NOT_EXISTS, signed, as WeChat Pay answers public-key-only merchants", () =>
    Effect.gen(function*() {
      const sandbox = yield* make()
      const res = asResponse(yield* sandbox.handle(yield* signed(sandbox.config, { url: "/v3/certificates" })))
      expect(res.status).toBe(404)
      expect(JSON.parse(res.body).code).toBe("RESOURCE_NOT_EXISTS")
      expect(verifies(sandbox.config.wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
    }))

  it.effect("certificate mode: each certificate encrypted with the APIv3 key; a rotation listed, then signing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-26T08:00:00+08:00"))
      const sandbox = yield* make({ mode: "certificate" })
      const c = sandbox.config
      const download = Effect.map(
        Effect.flatMap(signed(c, { url: "/v3/certificates" }), sandbox.handle),
        asResponse
      )
      const first = yield* download
      expect(first.status).toBe(200)
      const body = JSON.parse(first.body) as {
        data: Array<{ serial_no: string; effective_time: string; expire_time: string; encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string } }>
      }
      expect(body.data.map((entry) => entry.serial_no)).toEqual([c.platformCertificateSerial])
      expect(body.data[0]?.encrypt_certificate.algorithm).toBe("AEAD_AES_256_GCM")
      expect(body.data[0]?.effective_time).toBe("2026-11-25T08:00:00+08:00")
      expect(decrypt(c.apiV3Key, body.data[0]!.encrypt_certificate)).toBe(c.platformCertificatePem)

      const rotated = yield* sandbox.rotateCertificate({ signFrom: Date.parse("2026-11-27T08:00:00+08:00") })
      const second = yield* download
      const listed = (JSON.parse(second.body) as typeof body).data
      expect(listed.map((entry) => entry.serial_no)).toEqual([c.platformCertificateSerial, rotated.serial])
      expect(decrypt(c.apiV3Key, listed[1]!.encrypt_certificate)).toBe(rotated.pem)
      // Still signed with the first until signFrom.
      expect(second.headers["Wechatpay-Serial"]).toBe(c.platformCertificateSerial)
      yield* TestClock.adjust("1 day")
      const third = yield* download
      expect(third.headers["Wechatpay-Serial"]).toBe(rotated.serial)
      expect(verifies(rotated.pem, third.headers, third.body)).toBe(true)
      expect((yield* sandbox.platformCertificates).map((info) => info.serial)).toEqual([c.platformCertificateSerial, rotated.serial])
    }))
})
