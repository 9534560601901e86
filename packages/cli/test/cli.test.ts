/**
 * The CLI as shipped (what package.json's `bin` names: `dist/bin.js`, which runs
 * the bundle `bundle.mjs` builds after `tsc -b`, both before vitest) run as a child
 * process against a sandbox (or a hostile server) served over loopback HTTP in
 * the test: output formats, exit codes and the one-line JSON failure report.
 * Every run is checked for secrets where it is made (`cli`), whatever the
 * order or the filter the tests run in; key files live in a temporary
 * directory removed with the test's scope.
 */
import { FaceCollections, HostileServer, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { csvField, csvSafe, tableCell, tableTime } from "../src/Output.js"
import { shellQuote } from "../src/SandboxEnv.js"

const packageJson: unknown = JSON.parse(Fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"))
const binPath = typeof packageJson === "object" && packageJson !== null && "bin" in packageJson &&
    typeof packageJson.bin === "object" && packageJson.bin !== null && "effect-wechatpay" in packageJson.bin &&
    typeof packageJson.bin["effect-wechatpay"] === "string"
  ? packageJson.bin["effect-wechatpay"]
  : undefined
if (binPath === undefined) throw new Error("package.json names no effect-wechatpay bin")
const BIN = fileURLToPath(new URL(`../${binPath}`, import.meta.url))
const ORG = "school-10k"

/** The keys of every sandbox of this file, its client's configuration, and the lines no run may print. */
class Fixture extends Context.Tag("cli.test/Fixture")<Fixture, {
  readonly keys: Sandbox.Keys
  readonly config: Sandbox.SandboxConfig
  readonly secretLines: ReadonlyArray<string>
}>() {}

const pemBodyLines = (pem: string) =>
  pem.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("-----"))

const FixtureLive = Layer.effect(
  Fixture,
  Effect.gen(function*() {
    const keys = yield* Sandbox.SandboxKeys
    const config = (yield* Sandbox.make(keys)).config
    return { keys, config, secretLines: pemBodyLines(config.merchantPrivateKeyPem) }
  })
).pipe(Layer.provide(Sandbox.layerKeys))

/** A private temporary directory, removed when the scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-cli-test-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** The client's settings for `url`, key files in a temporary directory of the scope. */
const clientEnv = (url: string) =>
  Effect.gen(function*() {
    const { config } = yield* Fixture
    const dir = yield* tempDir
    const writeKey = (name: string, text: string) => {
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, text, { mode: 0o600 })
      return path
    }
    return {
      WECHATPAY_MCHID: config.mchid,
      WECHATPAY_MERCHANT_SERIAL: config.merchantSerial,
      WECHATPAY_PRIVATE_KEY_FILE: writeKey("apiclient_key.pem", config.merchantPrivateKeyPem),
      WECHATPAY_PUBLIC_KEY_ID: config.wechatpayPublicKeyId,
      WECHATPAY_PUBLIC_KEY_FILE: writeKey("pub_key.pem", config.wechatpayPublicKeyPem),
      WECHATPAY_BASE_URL: url
    } satisfies Record<string, string>
  })

interface Run {
  readonly args: ReadonlyArray<string>
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** No line of a private key, no Authorization header, in what a run printed. */
const expectNoSecret = (run: Pick<Run, "stdout" | "stderr">, secretLines: ReadonlyArray<string>) => {
  expect(secretLines.length).toBeGreaterThan(20)
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain("WECHATPAY2-SHA256-RSA2048 mchid=")
    expect(text).not.toContain("PRIVATE KEY")
    for (const line of secretLines) expect(text.includes(line)).toBe(false)
  }
}

/**
 * Runs the CLI with exactly `env` (and PATH): nothing leaks in from the
 * developer's environment. Checks the run for secrets before returning it.
 */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}, stdout: "pipe" | number = "pipe") =>
  Effect.flatMap(Fixture, ({ secretLines }) =>
    Effect.async<Run>((resume) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["ignore", stdout, "pipe"]
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout?.on("data", (b: Buffer) => out.push(b))
      child.stderr?.on("data", (b: Buffer) => err.push(b))
      child.on("close", (code) => {
        resume(Effect.sync(() => {
          const run = { args, code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }
          expectNoSecret(run, secretLines)
          return run
        }))
      })
      return Effect.sync(() => child.kill())
    }))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The single JSON line a failure writes on stderr. */
const report = (run: Run): Record<string, unknown> => {
  const lines = run.stderr.split("\n").filter((line) => line !== "")
  expect(lines).toHaveLength(1)
  const parsed: unknown = JSON.parse(lines[0] ?? "")
  if (!isRecord(parsed)) throw new Error(`not a JSON object: ${run.stderr}`)
  return parsed
}

const ndjson = (items: ReadonlyArray<FaceCollections.FaceCollectionWire>) =>
  items.map((item) => JSON.stringify(item) + "\n").join("")

const serve = (organizations: Record<string, number>, faults?: Sandbox.Options["faults"]) =>
  Effect.flatMap(Fixture, ({ keys }) =>
    SandboxServer.serve({ ...keys, organizations, ...(faults === undefined ? {} : { faults }) }))

/** A hostile server signing whatever `answer` returns with the sandbox's key. */
const hostile = (answer: HostileServer.Options["answer"]) =>
  Effect.flatMap(Fixture, ({ keys }) => HostileServer.serve({ keys, answer }))

const page = (items: ReadonlyArray<FaceCollections.FaceCollectionWire>) => JSON.stringify({ face_collections: items })

layer(FixtureLive, { excludeTestServices: true })("the effect-wechatpay command line", (it) => {
  describe("face-collections list", () => {
    it.scoped("streams 10 000 items in 200 pages as NDJSON, byte for byte what the server holds, in order", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 10_000 })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--limit", "50"], yield* clientEnv(server.url))
        expect(run.stderr).toBe("") // not a terminal: no progress line
        expect(run.code).toBe(0)
        const expected = server.sandbox.expectedItems(ORG)
        expect(expected).toHaveLength(10_000)
        expect(run.stdout.split("\n")).toHaveLength(10_001)
        expect(run.stdout === ndjson(expected)).toBe(true)
        // 200 full pages, then the empty one that ends the listing
        expect(yield* server.sandbox.requestCount).toBe(10_000 / 50 + 1)
      }))

    it.scoped("csv: a header of wire names, one RFC 4180 row per item", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 45 })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "csv", "--limit", "10"], yield* clientEnv(server.url))
        expect(run.code).toBe(0)
        const rows = run.stdout.split("\r\n")
        expect(rows.pop()).toBe("")
        expect(rows[0]).toBe("collection_id,use_id,organization_id,collection_state,register_photo_upload_time,confirm_time")
        expect(rows.slice(1)).toEqual(
          server.sandbox.expectedItems(ORG).map((item) =>
            [
              item.collection_id,
              item.use_id,
              item.organization_id,
              item.collection_state,
              item.register_photo_upload_time ?? "",
              item.confirm_time ?? ""
            ].join(",")
          )
        )
      }))

    it.scoped("table: aligned columns for people, times in Beijing time", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 30 })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "table"], yield* clientEnv(server.url))
        expect(run.code).toBe(0)
        const lines = run.stdout.trimEnd().split("\n")
        const header = lines[0] ?? ""
        expect(header).toMatch(/^COLLECTION ID +USER ID +STATE +UPLOADED \(UTC\+8\) +CONFIRMED \(UTC\+8\)$/)
        const expected = server.sandbox.expectedItems(ORG)
        expect(lines).toHaveLength(expected.length + 1)
        const stateColumn = header.indexOf("STATE")
        lines.slice(1).forEach((line, i) => {
          const item = expected[i]!
          expect(line.startsWith(item.collection_id + " ")).toBe(true)
          expect(line.slice(stateColumn).startsWith(item.collection_state + " ")).toBe(true)
          if (item.register_photo_upload_time !== undefined) {
            expect(line).toContain(tableTime(item.register_photo_upload_time))
          }
        })
      }))

    it.scoped("an empty organization prints nothing and succeeds", () =>
      Effect.gen(function*() {
        const server = yield* serve({ empty: 0 })
        const run = yield* cli(["face-collections", "list", "--organization-id", "empty"], yield* clientEnv(server.url))
        expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" })
      }))
  })

  describe("failures: exit code and one JSON line on stderr", () => {
    it.scoped("bad input is exit 2 and sends nothing", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 50 })
        const env = yield* clientEnv(server.url)

        const { WECHATPAY_MCHID: _, ...withoutMchid } = env
        const [limit, missing, config, unknownOption] = yield* Effect.all([
          cli(["face-collections", "list", "--organization-id", ORG, "--limit", "0"], env),
          cli(["face-collections", "list"], env),
          cli(["face-collections", "list", "--organization-id", ORG], withoutMchid),
          cli(["face-collections", "list", "--organization-id", ORG, "--limt", "5"], env)
        ], { concurrency: "unbounded" })

        expect(limit.code).toBe(2)
        expect(limit.stdout).toBe("")
        expect(report(limit)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--limit") })

        expect(missing.code).toBe(2)
        expect(report(missing)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--organization-id") })

        expect(config.code).toBe(2)
        expect(report(config)).toMatchObject({ error: "WechatPayConfigError", message: expect.stringContaining("WECHATPAY_MCHID") })

        expect(unknownOption.code).toBe(2)
        expect(report(unknownOption).error).toBe("UsageError")

        expect(yield* server.sandbox.requestCount).toBe(0)
      }))

    it.scoped("WeChat Pay's error answer is exit 3 with its code and Request-ID", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 50 })
        const run = yield* cli(["face-collections", "get", "FC-unknown"], yield* clientEnv(server.url))
        expect(run.code).toBe(3)
        expect(run.stdout).toBe("")
        const line = report(run)
        expect(line).toMatchObject({ error: "WechatPayApiError", code: "RESOURCE_NOT_EXISTS" })
        const [record] = yield* server.sandbox.requests
        expect(line["requestId"]).toBe(record?.requestId)
      }))

    it.scoped("429 on every attempt is exit 3 FREQUENCY_LIMITED once --max-attempts are spent", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 50 }, { faults: [{ kind: "429", select: { _tag: "Every" } }] })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--max-attempts", "2"], yield* clientEnv(server.url))
        expect(run.code).toBe(3)
        expect(report(run)).toMatchObject({ error: "WechatPayApiError", code: "FREQUENCY_LIMITED" })
        expect(yield* server.sandbox.requestCount).toBe(2)
      }))

    it.scoped("get: a collection of another organization than --organization-id is exit 9, nothing printed", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 5 })
        const env = yield* clientEnv(server.url)
        const id = FaceCollections.collectionId(ORG, 3)
        const [ok, other, empty] = yield* Effect.all([
          cli(["face-collections", "get", id, "--organization-id", ORG], env),
          cli(["face-collections", "get", id, "--organization-id", "another"], env),
          cli(["face-collections", "get", id, "--organization-id", ""], env)
        ], { concurrency: "unbounded" })
        expect(ok.code).toBe(0)
        expect(ok.stdout).toBe(JSON.stringify(server.sandbox.itemAt(ORG, 3)) + "\n")
        expect(other.code).toBe(9)
        expect(other.stdout).toBe("")
        expect(report(other)).toMatchObject({ error: "WechatPayMismatchError", message: expect.stringContaining(ORG) })
        // An empty organization is refused before anything is sent.
        expect(empty.code).toBe(2)
        expect(report(empty)).toMatchObject({ error: "WechatPayInvalidInputError", message: expect.stringContaining("organizationId") })
        expect(yield* server.sandbox.requestCount).toBe(2)
      }))

    it.scoped("a tampered page is exit 4: earlier pages printed, nothing of that page", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 100 }, { faults: [{ kind: "tamper", select: { _tag: "Nth", indices: [3] } }] })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url))
        expect(run.code).toBe(4)
        expect(run.stdout).toBe(ndjson(server.sandbox.expectedItems(ORG).slice(0, 40)))
        expect(report(run)).toMatchObject({ error: "WechatPayVerificationError", requestId: expect.any(String) })
      }))

    it.scoped("a body that is not JSON is exit 4 too", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 100 }, { faults: [{ kind: "malformed-json", select: { _tag: "Nth", indices: [2] } }] })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url))
        expect(run.code).toBe(4)
        expect(run.stdout).toBe(ndjson(server.sandbox.expectedItems(ORG).slice(0, 20)))
        expect(report(run)).toMatchObject({ error: "WechatPayDecodeError" })
      }))

    it.scoped("dropped connections on every attempt are exit 5", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 50 }, { faults: [{ kind: "reset", select: { _tag: "Every" } }] })
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--max-attempts", "2"], yield* clientEnv(server.url))
        expect(run.code).toBe(5)
        expect(report(run)).toMatchObject({ error: "WechatPayTransportError", message: expect.stringContaining("2 attempts") })
      }))
  })

  describe("sandbox and demo", () => {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      it.scoped(`sandbox prints the settings, serves them, and removes its keys on ${signal}`, () =>
        Effect.gen(function*() {
          const { secretLines } = yield* Fixture
          const child = spawn(process.execPath, [BIN, "sandbox", "--items", "50", "--organization-id", ORG], {
            env: { PATH: process.env["PATH"] ?? "" },
            stdio: ["ignore", "pipe", "pipe"]
          })
          yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
          const out: Array<string> = []
          const err: Array<string> = []
          child.stderr.on("data", (b: Buffer) => err.push(b.toString("utf8")))
          const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
          const lines = yield* Effect.promise(() =>
            new Promise<string>((resolve) =>
              child.stdout.on("data", (b: Buffer) => {
                out.push(b.toString("utf8"))
                if (out.join("").includes("WECHATPAY_BASE_URL=")) resolve(out.join(""))
              })
            )
          )
          const env: Record<string, string> = {}
          for (const [, name, value] of lines.matchAll(/^export (\w+)=(.*)$/gm)) env[name!] = value!
          expect(Object.keys(env)).toEqual([
            "WECHATPAY_MCHID",
            "WECHATPAY_MERCHANT_SERIAL",
            "WECHATPAY_PRIVATE_KEY_FILE",
            "WECHATPAY_PUBLIC_KEY_ID",
            "WECHATPAY_PUBLIC_KEY_FILE",
            "WECHATPAY_APIV3_KEY_FILE",
            "WECHATPAY_BASE_URL"
          ])
          const keyFile = env["WECHATPAY_PRIVATE_KEY_FILE"]!
          // The sandbox's own key (not the fixture's): it must not be printed either.
          const ownSecrets = [...secretLines, ...pemBodyLines(Fs.readFileSync(keyFile, "utf8"))]
          expect(Fs.statSync(keyFile).mode & 0o777).toBe(0o600)
          expect(Fs.statSync(Path.dirname(keyFile)).mode & 0o777).toBe(0o700)

          const list = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "csv"], env)
          expect(list.code).toBe(0)
          expect(list.stdout.split("\r\n")).toHaveLength(50 + 2)
          expectNoSecret(list, ownSecrets)

          child.kill(signal)
          const code = yield* Effect.promise(() => exited)
          expect(code).toBe(130)
          expect(Fs.existsSync(Path.dirname(keyFile))).toBe(false)
          expectNoSecret({ stdout: out.join(""), stderr: err.join("") }, ownSecrets)
          expect(err.join("")).toContain("Serving until Ctrl-C")
        }))
    }

    it.scoped("demo lists a sandbox over HTTP and sums it up", () =>
      Effect.gen(function*() {
        const run = yield* cli(["demo", "--items", "45", "--format", "ndjson"])
        expect(run.code).toBe(0)
        expect(run.stdout).toBe(ndjson(FaceCollections.expectedItems({ organizations: { "1234567": 45 } }, "1234567")))
        // pages at offsets 0, 20, 40 (the 500 to request 3 retried), then the empty page at 45 (request 5)
        expect(run.stderr).toContain("demo: 45 items, 3 pages, 1 retry in ")
        expect(run.stderr).toContain("(5 requests to the sandbox)")
      }))
  })


  describe("bad input, refused before sending: exit 2 naming the flag", () => {
    it.scoped("--limit is a plain decimal integer from 1 to 1000; --organization-id must not be empty", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 50 })
        const env = yield* clientEnv(server.url)
        const list = (...extra: ReadonlyArray<string>) => cli(["face-collections", "list", "--organization-id", ORG, ...extra], env)
        const bad = yield* Effect.all(
          ["0", "1001", "0x10", "1e3", "20.0", "-5"].map((limit) => list("--limit", limit)),
          { concurrency: 2 }
        )
        for (const run of bad) {
          expect(run.code).toBe(2)
          expect(run.stdout).toBe("")
          expect(report(run)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--limit must be") })
        }
        const empty = yield* cli(["face-collections", "list", "--organization-id", ""], env)
        expect(empty.code).toBe(2)
        expect(report(empty)).toMatchObject({ error: "WechatPayInvalidInputError", message: expect.stringContaining("organizationId") })
        expect(yield* server.sandbox.requestCount).toBe(0)
        const ok = yield* list("--limit", "200")
        expect(ok.code).toBe(0)
        expect(ok.stdout.split("\n")).toHaveLength(51)
        // 1000 is within the CLI's range: sent, and the sandbox (at most 200 per page) answers PARAM_ERROR.
        const most = yield* list("--limit", "1000")
        expect(report(most)).toMatchObject({ error: "WechatPayApiError", code: "PARAM_ERROR" })
      }), 120_000) // ten processes: slow on a loaded machine

    it.scoped("plain http:// to a host that is not loopback is refused naming WECHATPAY_BASE_URL", () =>
      Effect.gen(function*() {
        const env = yield* clientEnv("http://api.mch.weixin.qq.com")
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], env)
        expect(run.code).toBe(2)
        expect(report(run)).toMatchObject({
          error: "WechatPayConfigError",
          message: expect.stringMatching(/^invalid configuration WECHATPAY_BASE_URL: plain http:\/\/ is allowed to a loopback host only/)
        })
      }))

    it.scoped("a merchant serial that is not hex is refused naming WECHATPAY_MERCHANT_SERIAL", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 5 })
        const env = yield* clientEnv(server.url)
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], { ...env, WECHATPAY_MERCHANT_SERIAL: "5157-F09E" })
        expect(run.code).toBe(2)
        expect(report(run)).toMatchObject({
          error: "WechatPayConfigError",
          message: expect.stringMatching(/^invalid configuration WECHATPAY_MERCHANT_SERIAL: .*hexadecimal/)
        })
        expect(report(run)["message"]).not.toContain("5157-F09E")
        expect(yield* server.sandbox.requestCount).toBe(0)
      }))
  })

  describe("hostile answers: checked, and printed safely", () => {
    const items = (n: number, org = ORG) => FaceCollections.expectedItems({ organizations: { [org]: n } }, org)

    it.scoped("a listing whose every page is the same full page ends, exit 9, the page printed once", () =>
      Effect.gen(function*() {
        const full = items(20)
        const server = yield* hostile(() => ({ body: page(full) }))
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url))
        expect(run.code).toBe(9)
        expect(run.stdout).toBe(ndjson(full))
        expect(report(run)).toMatchObject({ error: "WechatPayPagingError", message: expect.stringContaining("no new item") })
        expect(server.requests()).toBe(4)
      }))

    it.scoped("an item of another organization in a page: exit 9, nothing of that page printed", () =>
      Effect.gen(function*() {
        const mine = items(25)
        const intruder = items(1, "another")[0]!
        const server = yield* hostile((request) => {
          if (request.url.includes("/face-collections/")) return { body: JSON.stringify(mine[4]) }
          const offset = Number(new URL(request.url, "http://x").searchParams.get("offset"))
          return { body: page(offset === 0 ? mine.slice(0, 20) : [...mine.slice(20), intruder]) }
        })
        const [run, get] = yield* Effect.all([
          cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url)),
          cli(["face-collections", "get", mine[3]!.collection_id], yield* clientEnv(server.url))
        ])
        expect(run.code).toBe(9)
        expect(run.stdout).toBe(ndjson(mine.slice(0, 20)))
        expect(report(run)).toMatchObject({ error: "WechatPayMismatchError", message: expect.stringContaining("another") })
        // Asked for one collection, answered with another: exit 9, nothing printed.
        expect(get.code).toBe(9)
        expect(get.stdout).toBe("")
        expect(report(get)).toMatchObject({ error: "WechatPayMismatchError", message: expect.stringContaining("collection_id") })
      }))

    const evil = (item: FaceCollections.FaceCollectionWire, i: number): FaceCollections.FaceCollectionWire => ({
      ...item,
      use_id: i === 0 ? "=HYPERLINK(\"http://evil\")" : i === 1 ? "a\nb\r\nc" : `\u001b[2J\u001b]0;pwned\u0007\u202eexe.txt-${i}`,
      collection_state: i === 2 ? "@SUM(A1)" : item.collection_state
    })

    it.scoped("table: control, escape and bidi characters escaped, one row per item", () =>
      Effect.gen(function*() {
        const hostileItems = items(4).map(evil)
        const server = yield* hostile((request) =>
          ({ body: page(request.url.includes("offset=0") ? hostileItems : []) })
        )
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "table"], yield* clientEnv(server.url))
        expect(run.code).toBe(0)
        expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
        const rows = run.stdout.trimEnd().split("\n")
        expect(rows).toHaveLength(1 + 4)
        expect(rows[2]).toContain("a\\x0ab\\x0d\\x0ac")
        expect(rows[3]).toContain("\\x1b[2J\\x1b]0;pwned\\x07\\u202eexe.txt-2")
      }))

    it.scoped("csv: a cell a spreadsheet would run starts with '; ndjson stays byte-faithful JSON", () =>
      Effect.gen(function*() {
        const hostileItems = items(4).map(evil)
        const server = yield* hostile((request) => ({ body: page(request.url.includes("offset=0") ? hostileItems : []) }))
        const env = yield* clientEnv(server.url)
        const [csv, json] = yield* Effect.all([
          cli(["face-collections", "list", "--organization-id", ORG, "--format", "csv"], env),
          cli(["face-collections", "list", "--organization-id", ORG], env)
        ])
        expect(csv.code).toBe(0)
        expect(csv.stdout).toContain(`,"'=HYPERLINK(""http://evil"")",`)
        expect(csv.stdout).toContain(",'@SUM(A1),")
        expect(csv.stdout).not.toMatch(/(^|,)[=+\-@]/m)
        expect(json.code).toBe(0)
        expect(json.stdout).toBe(ndjson(hostileItems))
      }))

    it.scoped("an error answer's text reaches stderr as one bounded line, nothing a terminal would act on", () =>
      Effect.gen(function*() {
        const server = yield* hostile(() => ({
          status: 400,
          body: JSON.stringify({ code: "PARAM_ERROR", message: "no\u001b[2J\r\nFAKE LINE \u202e" + "x".repeat(100_000) })
        }))
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url))
        expect(run.code).toBe(3)
        expect(run.stderr.split("\n")).toHaveLength(2)
        expect(run.stderr).not.toMatch(/[\u202a-\u202e]/)
        expect(run.stderr.length).toBeLessThan(2000)
        expect(report(run)["message"]).toContain("no\\x1b[2J\\x0d\\x0aFAKE LINE \\u202e")
      }))

    it.scoped("https:// to a plain-HTTP port: exit 5 at once, in one line, not retried", () =>
      Effect.gen(function*() {
        const server = yield* hostile(() => ({ body: page([]) }))
        const run = yield* cli(
          ["face-collections", "list", "--organization-id", ORG],
          yield* clientEnv(server.url.replace("http://", "https://"))
        )
        expect(run.code).toBe(5)
        const line = report(run)
        expect(line).toMatchObject({ error: "WechatPayTransportError", message: expect.stringContaining("plain HTTP") })
        expect(line["message"]).not.toContain("attempts")
      }))
  })

  describe("exit codes of the output", () => {
    it.scoped("stdout that cannot be written (a full disk) is exit 8, not 0, and says so", () =>
      Effect.gen(function*() {
        const server = yield* serve({ [ORG]: 100 })
        const full = yield* Effect.acquireRelease(
          Effect.sync(() => Fs.openSync("/dev/full", "w")),
          (fd) => Effect.sync(() => Fs.closeSync(fd))
        )
        const run = yield* cli(["face-collections", "list", "--organization-id", ORG], yield* clientEnv(server.url), full)
        expect(run.code).toBe(8)
        expect(report(run)).toMatchObject({ error: "OutputError", message: expect.stringContaining("ENOSPC") })
      }))
  })

  describe("output encoders", () => {
    it("csvField quotes per RFC 4180; csvSafe neutralises formulas", () => {
      expect(csvField("plain")).toBe("plain")
      expect(csvField("a,\"b\"\nc")).toBe("\"a,\"\"b\"\"\nc\"")
      for (const lead of ["=", "+", "-", "@", "\t", "\r"]) expect(csvSafe(`${lead}1`)).toBe(`'${lead}1`)
      expect(csvSafe("FC-1=2")).toBe("FC-1=2")
    })
    it("tableCell escapes and bounds; tableTime shows Beijing time", () => {
      expect(tableCell("a\u001bb\u202ec\n")).toBe("a\\x1bb\\u202ec\\x0a")
      expect(tableCell("x".repeat(500))).toHaveLength(129)
      expect(tableTime("2024-03-01T10:00:00+08:00")).toBe("2024-03-01 10:00:00")
      expect(tableTime("2024-03-01T02:00:00Z")).toBe("2024-03-01T02:00:00Z")
    })
    it("shellQuote", () => {
      expect(shellQuote("/tmp/a b")).toBe("'/tmp/a b'")
    })
  })
})
