import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { authorization, verifies } from "./helpers.js"


interface Raw {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/** Sends exactly `path` as the request target with node:http (no URL normalisation). */
const rawGet = (base: string, path: string, headers: Record<string, string>) =>
  Effect.async<Raw, Error>((resume) => {
    const u = new URL(base)
    const req = Http.request(
      { host: u.hostname, port: u.port, path, method: "GET", headers, agent: false },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          const out: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") out[k] = v
          resume(Effect.succeed({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString("utf8") }))
        })
      }
    )
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end()
  })

const signedHeaders = (config: Sandbox.SandboxConfig, path: string) => ({
  Authorization: authorization(config, { url: path, timestamp: String(Math.floor(Date.now() / 1000)) }),
  Accept: "application/json"
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("SandboxServer over loopback HTTP", (it) => {
  it.scoped("serves signed responses; 401 for bad requests; reset destroys the socket", () =>
    Effect.gen(function*() {
      const { sandbox, url } = yield* SandboxServer.serve({
        ...(yield* Sandbox.SandboxKeys),
        organizations: { "1234567": 30, "o'k": 2 },
        faults: { faults: [{ kind: "reset", select: Faults.nth(3) }] }
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const c = sandbox.config

      // 1: fetch, a normal page
      const path = "/v3/offlineface/face-collections?organization_id=1234567&offset=20&limit=20"
      const res = yield* Effect.promise(() => fetch(url + path, { headers: signedHeaders(c, path) }))
      const text = yield* Effect.promise(() => res.text())
      expect(res.status).toBe(200)
      expect(JSON.parse(text)).toEqual({ face_collections: sandbox.expectedItems("1234567").slice(20, 30) })
      const headers: Record<string, string> = {}
      res.headers.forEach((v, k) => {
        headers[k] = v
      })
      expect(verifies(c.wechatpayPublicKeyPem, headers, text)).toBe(true)
      expect(headers["request-id"]).toBeTruthy()
      expect(headers["content-type"]).toBe("application/json")

      // 2: the raw request target is what is verified (a quote fetch would percent-encode)
      const rawPath = "/v3/offlineface/face-collections?organization_id=o'k"
      const raw = yield* rawGet(url, rawPath, signedHeaders(c, rawPath))
      expect(raw.status).toBe(200)
      expect(JSON.parse(raw.body)).toEqual({ face_collections: sandbox.expectedItems("o'k") })
      expect(verifies(c.wechatpayPublicKeyPem, raw.headers, raw.body)).toBe(true)

      // 3: reset
      const reset = yield* Effect.either(rawGet(url, path, signedHeaders(c, path)))
      expect(reset._tag).toBe("Left")

      // 4: no Authorization → signed 401
      const unauth = yield* rawGet(url, path, {})
      expect(unauth.status).toBe(401)
      expect(JSON.parse(unauth.body).code).toBe("SIGN_ERROR")
      expect(verifies(c.wechatpayPublicKeyPem, unauth.headers, unauth.body)).toBe(true)

      const records = yield* sandbox.requests
      expect(records.map((r) => [r.url, r.status])).toEqual([[path, 200], [rawPath, 200], [path, "reset"], [path, 401]])
    }))

  it.scoped("layer: the served sandbox is the one in context", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.SandboxServer
      const sandbox = yield* Sandbox.Sandbox
      expect(server.sandbox).toBe(sandbox)
      const path = "/v3/offlineface/face-collections/FC1234567-0000000007"
      const res = yield* rawGet(server.url, path, signedHeaders(sandbox.config, path))
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual(sandbox.itemAt("1234567", 7))
      expect(res.headers["wechatpay-serial"]).toBe(sandbox.config.platformCertificateSerial)
      expect(verifies(sandbox.config.platformCertificatePem, res.headers, res.body)).toBe(true)
    }).pipe(
      Effect.provide(
        Layer.unwrapEffect(
          Effect.map(Sandbox.SandboxKeys, (keys) => Layer.orDie(SandboxServer.layer({ ...keys, mode: "certificate" })))
        )
      )
    ))

  it.effect("startPromise / close", () =>
    Effect.flatMap(Sandbox.SandboxKeys, (keys) => Effect.promise(async () => {
      const s = await SandboxServer.startPromise({ ...keys })
      expect(s.mchid).toBe("1900000001")
      expect(s.merchantSerial).toBe("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
      expect(s.wechatpayPublicKeyId).toBe("PUB_KEY_ID_0119000000012025010100000000000001")
      expect(s.platformCertificatePem).toContain("BEGIN CERTIFICATE")
      const path = "/v3/offlineface/face-collections?organization_id=7654321"
      const res = await fetch(s.url + path, { headers: signedHeaders(s, path) })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ face_collections: [] })
      expect(await s.requestCount()).toBe(1)
      expect((await s.requests())[0]?.status).toBe(200)
      await s.close()
      await expect(fetch(s.url + path)).rejects.toThrow()
    })))
})
