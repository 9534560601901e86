/**
 * The example programs, run against a sandbox served over loopback, configured
 * through the same WECHATPAY_* names they read from the environment (here from a map).
 */
import { SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as ExportCsv from "./export-csv.js"
import * as ListOrganization from "./list-organization.js"

const ORG = "1234567"

/** A scoped temporary directory. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-examples-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** A sandbox, and the settings a client needs for it (keys in files, as in production). */
const sandboxWithSettings = (items: number) =>
  Effect.gen(function*() {
    const server = yield* SandboxServer.serve({ organizations: { [ORG]: items } })
    const dir = yield* tempDir
    const file = (name: string, text: string) => {
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, text, { mode: 0o600 })
      return path
    }
    const config = server.sandbox.config
    const settings = ConfigProvider.fromMap(new Map([
      ["WECHATPAY_MCHID", config.mchid],
      ["WECHATPAY_MERCHANT_SERIAL", config.merchantSerial],
      ["WECHATPAY_PRIVATE_KEY_FILE", file("apiclient_key.pem", config.merchantPrivateKeyPem)],
      ["WECHATPAY_PUBLIC_KEY_ID", config.wechatpayPublicKeyId],
      ["WECHATPAY_PUBLIC_KEY_FILE", file("pub_key.pem", config.wechatpayPublicKeyPem)],
      ["WECHATPAY_BASE_URL", server.url]
    ]))
    return { server, dir, settings }
  })

/** Runs `effect` with a Console that records what is logged. */
const capturingLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.consoleWith((console) => {
    const lines: Array<string> = []
    return Effect.withConsole(effect, {
      ...console,
      log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => lines.push(args.map(String).join(" ")))
    }).pipe(Effect.map(() => lines))
  })

describe("examples", () => {
  it.scopedLive("list-organization prints the count and the first five", () =>
    Effect.gen(function*() {
      const { server, settings } = yield* sandboxWithSettings(137)
      const lines = yield* capturingLogs(ListOrganization.main(ORG)).pipe(Effect.withConfigProvider(settings))
      const expected = server.sandbox.expectedItems(ORG)
      expect(lines).toEqual([
        `137 users of organization ${ORG} to re-collect`,
        ...expected.slice(0, 5).map((item) => `  ${item.collection_id}  ${item.use_id}  ${item.collection_state}`)
      ])
    }))

  it.scopedLive("export-csv writes a header and one row per item", () =>
    Effect.gen(function*() {
      const { dir, server, settings } = yield* sandboxWithSettings(137)
      const path = Path.join(dir, "collections.csv")
      const lines = yield* capturingLogs(ExportCsv.main(ORG, path)).pipe(Effect.withConfigProvider(settings))
      expect(lines).toEqual([`137 rows written to ${path}`])
      const rows = Fs.readFileSync(path, "utf8").split("\r\n")
      expect(rows.pop()).toBe("")
      expect(rows[0]).toBe("collection_id,use_id,organization_id,collection_state,register_photo_upload_time,confirm_time")
      expect(rows.slice(1)).toEqual(server.sandbox.expectedItems(ORG).map((item) =>
        [
          item.collection_id,
          item.use_id,
          item.organization_id,
          item.collection_state,
          item.register_photo_upload_time ?? "",
          item.confirm_time ?? ""
        ].join(",")
      ))
    }))
})
