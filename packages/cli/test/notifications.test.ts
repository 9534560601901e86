/**
 * `notifications serve` as shipped (dist/bin.js, a child process) receiving
 * what the sandbox sends over loopback: one NDJSON line per accepted
 * notification, duplicates answered 2xx and not printed again, refusals
 * answered 4xx with one JSON line on stderr, and a signal ending it with
 * exit 0.
 */
import { Sandbox } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

interface Receiver {
  readonly child: ChildProcess
  readonly url: string
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exit: Promise<number | null>
}

/** A sandbox (not served: it only sends) and its keys in files, as the CLI reads them. */
const sandboxWithFiles = (options: Sandbox.Options = {}) =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make(options)
    const config = sandbox.config
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-notify-test-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const write = (name: string, text: string) => {
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, text, { mode: 0o600 })
      return path
    }
    const env: Record<string, string> = {
      WECHATPAY_MCHID: config.mchid,
      WECHATPAY_MERCHANT_SERIAL: config.merchantSerial,
      WECHATPAY_PRIVATE_KEY_FILE: write("apiclient_key.pem", config.merchantPrivateKeyPem),
      WECHATPAY_PUBLIC_KEY_ID: config.wechatpayPublicKeyId,
      WECHATPAY_PUBLIC_KEY_FILE: write("pub_key.pem", config.wechatpayPublicKeyPem),
      WECHATPAY_APIV3_KEY_FILE: write("apiv3.key", `${config.apiV3Key}\n`)
    }
    return { sandbox, env }
  })

/** Starts `notifications serve --port 0` and waits for its first stderr line. */
const startReceiver = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.async<Receiver, Error>((resume) => {
      const child = spawn(process.execPath, [BIN, "notifications", "serve", "--port", "0"], {
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
      child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")))
      child.stderr.on("data", (b: Buffer) => {
        err += b.toString("utf8")
        const first = /^listening on (http:\/\/\S+)\n/.exec(err)
        if (first !== null && first[1] !== undefined) {
          resume(Effect.succeed({ child, url: first[1], stdout: () => out, stderr: () => err, exit }))
        }
      })
      void exit.then((code) => resume(Effect.fail(new Error(`exited ${code} before listening: ${err}`))))
    }),
    (receiver) => Effect.sync(() => receiver.child.kill("SIGKILL"))
  )

const lines = (text: string) => text.split("\n").filter((line) => line !== "")

describe("notifications serve", () => {
  it.scopedLive("prints each accepted notification once as NDJSON, refuses forgeries with 4xx, ends on SIGTERM with exit 0", () =>
    Effect.gen(function*() {
      const keys = yield* Sandbox.generateKeys
      // The sandbox needs the receiver's URL, the receiver the sandbox's keys: keys first, then both.
      const probe = yield* sandboxWithFiles({ ...keys })
      const receiver = yield* startReceiver(probe.env)
      expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const { sandbox } = yield* sandboxWithFiles({
        ...keys,
        apiV3Key: probe.sandbox.config.apiV3Key,
        notifications: { url: `${receiver.url}/any/path/the/provider/chose`, timeScale: 1_000_000 }
      })

      // A signing, delivered twice (the duplicate fault): printed once, both answered 2xx.
      yield* sandbox.setNotificationFaults(["duplicate"])
      yield* sandbox.signContract({ organizationId: "O1234567", outUserId: "staff-0001" })
      yield* sandbox.notificationsSettled
      const first = yield* sandbox.deliveries
      expect(first.map((d) => d.status)).toEqual([200, 200])
      const printed = lines(receiver.stdout())
      expect(printed).toHaveLength(1)
      const event = JSON.parse(printed[0] ?? "")
      expect(Object.keys(event)).toEqual(["id", "create_time", "event_type", "summary", "resource"])
      expect(event.id).toBe(first[0]?.id)
      expect(event.event_type).toBe("FACEPAY.USER_STATE_CHANGE")
      expect(event.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
      expect(event.resource.out_user_id).toBe("staff-0001")
      expect(event.resource.organization_id).toBe("O1234567")
      expect(typeof event.resource.contract_id).toBe("string")

      // Forgeries, built by the sandbox with its own keys and POSTed as it would: 4xx, never printed,
      // one JSON line each on stderr with the check.
      const resource = yield* sandbox.userStateChange({ organizationId: "O1234567", outUserId: "student-0001" })
      const cases = [["probe", "BadSignature"], ["other-key", "Decrypt"], ["stale", "StaleTimestamp"], ["tamper", "Decrypt"]] as const
      for (const [fault, check] of cases) {
        const built = yield* sandbox.buildNotification({ resource, faults: [fault] })
        const answer = yield* Effect.promise(() =>
          fetch(`${receiver.url}/notify`, { method: "POST", headers: built.headers, body: built.body }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as { readonly code?: unknown }
          }))
        )
        expect([fault, answer.status >= 400 && answer.status < 500, answer.body.code]).toEqual([fault, true, "FAIL"])
        const last = JSON.parse(lines(receiver.stderr()).at(-1) ?? "")
        expect([fault, last.error, last.check]).toEqual([fault, "WechatPayNotificationError", check])
      }
      expect(lines(receiver.stdout())).toHaveLength(1)
      expect(lines(receiver.stderr())).toHaveLength(1 + cases.length)
      // Nothing secret anywhere: the APIv3 key, the private key's lines.
      const all = receiver.stdout() + receiver.stderr()
      expect(all.includes(sandbox.config.apiV3Key)).toBe(false)
      for (const keyLine of sandbox.config.merchantPrivateKeyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-"))) {
        expect(all.includes(keyLine)).toBe(false)
      }

      receiver.child.kill("SIGTERM")
      expect(yield* Effect.promise(() => receiver.exit)).toBe(0)
    }), { timeout: 60_000 })
})

describe("notifications serve, the other signals", () => {
  for (const signal of ["SIGINT", "SIGHUP"] as const) {
    it.scopedLive(`${signal} ends it with exit 0 too`, () =>
      Effect.gen(function*() {
        const { env } = yield* sandboxWithFiles(yield* Sandbox.generateKeys)
        const receiver = yield* startReceiver(env)
        receiver.child.kill(signal)
        expect(yield* Effect.promise(() => receiver.exit)).toBe(0)
      }), { timeout: 30_000 })
  }

  it.scopedLive("without the APIv3 key it does not start: exit 2, naming the variable", () =>
    Effect.gen(function*() {
      const { env } = yield* sandboxWithFiles(yield* Sandbox.generateKeys)
      const { WECHATPAY_APIV3_KEY_FILE: _, ...rest } = env
      const child = spawn(process.execPath, [BIN, "notifications", "serve", "--port", "0"], {
        env: { PATH: process.env["PATH"] ?? "", ...rest },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let err = ""
      child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")))
      const code = yield* Effect.promise(() => new Promise<number | null>((resolve) => child.on("close", resolve)))
      expect(code).toBe(2)
      expect(JSON.parse(lines(err)[0] ?? "").message).toContain("WECHATPAY_APIV3_KEY")
    }), { timeout: 30_000 })
})
