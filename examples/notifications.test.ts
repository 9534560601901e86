/**
 * The notification examples receiving what the sandbox sends over loopback,
 * configured through the WECHATPAY_* names they read (here from a map).
 */
import { FaceUsers } from "@effect-wechatpay/core"
import { NodeNotifications, NodeWechatPayClient } from "@effect-wechatpay/node"
import { Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, ManagedRuntime } from "effect"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as AnyServer from "./notifications-any-server.js"
import * as HttpServerExample from "./notifications-http-server.js"

const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
)

const settingsFor = (sandbox: Sandbox.Service, url: string) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-examples-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const file = (name: string, text: string) => {
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, text, { mode: 0o600 })
      return path
    }
    const config = sandbox.config
    return ConfigProvider.fromMap(new Map([
      ["WECHATPAY_MCHID", config.mchid],
      ["WECHATPAY_MERCHANT_SERIAL", config.merchantSerial],
      ["WECHATPAY_PRIVATE_KEY_FILE", file("apiclient_key.pem", config.merchantPrivateKeyPem)],
      ["WECHATPAY_PUBLIC_KEY_ID", config.wechatpayPublicKeyId],
      ["WECHATPAY_PUBLIC_KEY_FILE", file("pub_key.pem", config.wechatpayPublicKeyPem)],
      ["WECHATPAY_APIV3_KEY_FILE", file("apiv3.key", config.apiV3Key)],
      ["WECHATPAY_BASE_URL", url]
    ]))
  })

/** Log lines written while `effect` runs, and its result. */
const logged = (lines: Array<string>) =>
  Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))

describe("notification examples", () => {
  it.scopedLive("notifications-http-server: a termination is received and its state looked up (TERMINATED)", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const { sandbox, url } = yield* SandboxServer.serve({
        notifications: { url: `http://127.0.0.1:${port}/wechatpay/notify`, timeScale: 1000 }
      })
      const settings = yield* settingsFor(sandbox, url)
      const lines: Array<string> = []
      yield* Layer.launch(
        HttpServer.serve(HttpServerExample.app).pipe(
          Layer.provide(HttpServerExample.ReceiverLive),
          Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
          Layer.provide(logged(lines)),
          Layer.provide(Layer.setConfigProvider(settings))
        )
      ).pipe(Effect.forkScoped)
      yield* Effect.sleep("200 millis")
      yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: "2088000000000001" }).pipe(
        Effect.provide(NodeWechatPayClient.layerConfig()),
        Effect.withConfigProvider(settings)
      )
      yield* sandbox.notificationsSettled
      expect((yield* sandbox.deliveries).map((d) => d.status)).toEqual([200])
      expect(lines).toContain("student-0001 of O1234567: contract TERMINATED")
    }), { timeout: 30_000 })

  it.scopedLive("notifications-any-server: node:http and NotificationHandler.handle answer 2xx, then 4xx to a forgery", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const sandbox = yield* Sandbox.make({ notifications: { url: `http://127.0.0.1:${port}/n`, timeScale: 1000 } })
      const settings = yield* settingsFor(sandbox, "http://127.0.0.1:1")
      const runtime = ManagedRuntime.make(
        NodeNotifications.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(settings))
        )
      )
      yield* Effect.addFinalizer(() => runtime.disposeEffect)
      const server = AnyServer.makeServer(runtime)
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          server.listen(port, "127.0.0.1", () => resume(Effect.void))
          return undefined
        }),
        () =>
          Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
      )
      yield* sandbox.signContract({ organizationId: "O1234567", outUserId: "staff-0001" })
      yield* sandbox.notificationsSettled
      expect((yield* sandbox.deliveries).map((d) => d.status)).toEqual([200])
      const forged = yield* sandbox.buildNotification({
        resource: yield* sandbox.userStateChange({ organizationId: "O1234567", outUserId: "staff-0001" }),
        faults: ["tamper-body"]
      })
      const status = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/n`, { method: "POST", headers: forged.headers, body: forged.body }).then((r) => r.status)
      )
      expect(status).toBe(401)
      server.closeAllConnections()
    }), { timeout: 30_000 })
})
