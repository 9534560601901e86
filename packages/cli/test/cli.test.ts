/**
 * The CLI as shipped (what package.json's `bin` names: `dist/bin.js`, which runs
 * the bundle `bundle.mjs` builds after `tsc -b`, both before vitest) run as a child
 * process against a sandbox served over loopback HTTP in the test: output
 * formats, exit codes and the one-line JSON failure report, and no secret in
 * any output.
 */
import { FaceCollections, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { csvField, tableTime } from "../src/Output.js"
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

const keys = await Effect.runPromise(Sandbox.generateKeys)
const config = (await Effect.runPromise(Sandbox.make(keys))).config

// The client's settings, key files in a private temp dir: every sandbox of this file uses `keys`.
const keyDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-cli-test-"))
const writeKey = (name: string, text: string) => {
  const path = Path.join(keyDir, name)
  Fs.writeFileSync(path, text, { mode: 0o600 })
  return path
}
const clientEnv = (url: string): Record<string, string> => ({
  WECHATPAY_MCHID: config.mchid,
  WECHATPAY_MERCHANT_SERIAL: config.merchantSerial,
  WECHATPAY_PRIVATE_KEY_FILE: writeKey("apiclient_key.pem", config.merchantPrivateKeyPem),
  WECHATPAY_PUBLIC_KEY_ID: config.wechatpayPublicKeyId,
  WECHATPAY_PUBLIC_KEY_FILE: writeKey("pub_key.pem", config.wechatpayPublicKeyPem),
  WECHATPAY_BASE_URL: url
})

interface Run {
  readonly args: ReadonlyArray<string>
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Every run of this file, for the secrets check at the end. */
const runs: Array<Run> = []
/** Private keys whose lines must never be printed. */
const privateKeys: Array<string> = [config.merchantPrivateKeyPem]

/** Runs the CLI with exactly `env` (and PATH): nothing leaks in from the developer's environment. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.async<Run>((resume) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (b: Buffer) => out.push(b))
    child.stderr.on("data", (b: Buffer) => err.push(b))
    child.on("close", (code) => {
      const run = { args, code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }
      runs.push(run)
      resume(Effect.succeed(run))
    })
    return Effect.sync(() => child.kill())
  })

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
  SandboxServer.serve({ ...keys, organizations, ...(faults === undefined ? {} : { faults }) })

describe("face-collections list", () => {
  it.scopedLive("streams 10 000 items in 200 pages as NDJSON, byte for byte what the server holds, in order", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 10_000 })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--limit", "50"], clientEnv(server.url))
      expect(run.stderr).toBe("") // not a terminal: no progress line
      expect(run.code).toBe(0)
      const expected = server.sandbox.expectedItems(ORG)
      expect(expected).toHaveLength(10_000)
      expect(run.stdout.split("\n")).toHaveLength(10_001)
      expect(run.stdout === ndjson(expected)).toBe(true)
      // 200 full pages, then the empty one that ends the listing
      expect(yield* server.sandbox.requestCount).toBe(10_000 / 50 + 1)
    }))

  it.scopedLive("csv: a header of wire names, one RFC 4180 row per item", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 45 })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "csv", "--limit", "10"], clientEnv(server.url))
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
      expect(csvField("plain")).toBe("plain")
      expect(csvField("a,\"b\"\nc")).toBe("\"a,\"\"b\"\"\nc\"")
    }))

  it.scopedLive("table: aligned columns for people, times in Beijing time", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 30 })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "table"], clientEnv(server.url))
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
      expect(tableTime("2024-03-01T10:00:00+08:00")).toBe("2024-03-01 10:00:00")
      expect(tableTime("2024-03-01T02:00:00Z")).toBe("2024-03-01T02:00:00Z")
    }))

  it.scopedLive("an empty organization prints nothing and succeeds", () =>
    Effect.gen(function*() {
      const server = yield* serve({ empty: 0 })
      const run = yield* cli(["face-collections", "list", "--organization-id", "empty"], clientEnv(server.url))
      expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" })
    }))
})

describe("failures: exit code and one JSON line on stderr", () => {
  it.scopedLive("bad input is exit 2 and sends nothing", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 50 })
      const env = clientEnv(server.url)

      const { WECHATPAY_MCHID: _, ...withoutMchid } = env
      const [limit, missing, config, unknownOption] = yield* Effect.all([
        cli(["face-collections", "list", "--organization-id", ORG, "--limit", "0"], env),
        cli(["face-collections", "list"], env),
        cli(["face-collections", "list", "--organization-id", ORG], withoutMchid),
        cli(["face-collections", "list", "--organization-id", ORG, "--limt", "5"], env)
      ], { concurrency: "unbounded" })

      expect(limit.code).toBe(2)
      expect(limit.stdout).toBe("")
      expect(report(limit)).toMatchObject({ error: "WechatPayInvalidInputError", message: expect.stringContaining("limit") })

      expect(missing.code).toBe(2)
      expect(report(missing)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--organization-id") })

      expect(config.code).toBe(2)
      expect(report(config)).toMatchObject({ error: "WechatPayConfigError", message: expect.stringContaining("WECHATPAY_MCHID") })

      expect(unknownOption.code).toBe(2)
      expect(report(unknownOption).error).toBe("UsageError")

      expect(yield* server.sandbox.requestCount).toBe(0)
    }))

  it.scopedLive("WeChat Pay's error answer is exit 3 with its code and Request-ID", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 50 })
      const run = yield* cli(["face-collections", "get", "FC-unknown"], clientEnv(server.url))
      expect(run.code).toBe(3)
      expect(run.stdout).toBe("")
      const line = report(run)
      expect(line).toMatchObject({ error: "WechatPayApiError", code: "RESOURCE_NOT_EXISTS" })
      const [record] = yield* server.sandbox.requests
      expect(line["requestId"]).toBe(record?.requestId)
    }))

  it.scopedLive("429 on every attempt is exit 3 FREQUENCY_LIMITED once --max-attempts are spent", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 50 }, { faults: [{ kind: "429", select: { _tag: "Every" } }] })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--max-attempts", "2"], clientEnv(server.url))
      expect(run.code).toBe(3)
      expect(report(run)).toMatchObject({ error: "WechatPayApiError", code: "FREQUENCY_LIMITED" })
      expect(yield* server.sandbox.requestCount).toBe(2)
    }))

  it.scopedLive("get: a collection of another organization than --organization-id is exit 2", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 5 })
      const id = FaceCollections.collectionId(ORG, 3)
      const [ok, other] = yield* Effect.all([
        cli(["face-collections", "get", id, "--organization-id", ORG], clientEnv(server.url)),
        cli(["face-collections", "get", id, "--organization-id", "another"], clientEnv(server.url))
      ], { concurrency: "unbounded" })
      expect(ok.code).toBe(0)
      expect(ok.stdout).toBe(JSON.stringify(server.sandbox.itemAt(ORG, 3)) + "\n")
      expect(other.code).toBe(2)
      expect(other.stdout).toBe("")
      expect(report(other)).toMatchObject({ error: "OrganizationMismatchError", message: expect.stringContaining(ORG) })
    }))

  it.scopedLive("a tampered page is exit 4: earlier pages printed, nothing of that page", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 100 }, { faults: [{ kind: "tamper", select: { _tag: "Nth", indices: [3] } }] })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG], clientEnv(server.url))
      expect(run.code).toBe(4)
      expect(run.stdout).toBe(ndjson(server.sandbox.expectedItems(ORG).slice(0, 40)))
      expect(report(run)).toMatchObject({ error: "WechatPayVerificationError", requestId: expect.any(String) })
    }))

  it.scopedLive("a body that is not JSON is exit 4 too", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 100 }, { faults: [{ kind: "malformed-json", select: { _tag: "Nth", indices: [2] } }] })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG], clientEnv(server.url))
      expect(run.code).toBe(4)
      expect(run.stdout).toBe(ndjson(server.sandbox.expectedItems(ORG).slice(0, 20)))
      expect(report(run)).toMatchObject({ error: "WechatPayDecodeError" })
    }))

  it.scopedLive("dropped connections on every attempt are exit 5", () =>
    Effect.gen(function*() {
      const server = yield* serve({ [ORG]: 50 }, { faults: [{ kind: "reset", select: { _tag: "Every" } }] })
      const run = yield* cli(["face-collections", "list", "--organization-id", ORG, "--max-attempts", "2"], clientEnv(server.url))
      expect(run.code).toBe(5)
      expect(report(run)).toMatchObject({ error: "WechatPayTransportError", message: expect.stringContaining("2 attempts") })
    }))
})

describe("sandbox and demo", () => {
  it.live("sandbox prints the settings, serves them, and removes its keys on SIGTERM", () =>
    Effect.gen(function*() {
      const child = spawn(process.execPath, [BIN, "sandbox", "--items", "50", "--organization-id", ORG], {
        env: { PATH: process.env["PATH"] ?? "" },
        stdio: ["ignore", "pipe", "pipe"]
      })
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
        "WECHATPAY_BASE_URL"
      ])
      const keyFile = env["WECHATPAY_PRIVATE_KEY_FILE"]!
      privateKeys.push(Fs.readFileSync(keyFile, "utf8"))
      expect(Fs.statSync(keyFile).mode & 0o777).toBe(0o600)
      expect(Fs.statSync(Path.dirname(keyFile)).mode & 0o777).toBe(0o700)

      const list = yield* cli(["face-collections", "list", "--organization-id", ORG, "--format", "csv"], env)
      expect(list.code).toBe(0)
      expect(list.stdout.split("\r\n")).toHaveLength(50 + 2)

      child.kill("SIGTERM")
      const code = yield* Effect.promise(() => exited)
      expect(code).toBe(130)
      expect(Fs.existsSync(Path.dirname(keyFile))).toBe(false)
      runs.push({ args: ["sandbox"], code, stdout: out.join(""), stderr: err.join("") })
      expect(err.join("")).toContain("Serving until Ctrl-C")
      expect(shellQuote("/tmp/a b")).toBe("'/tmp/a b'")
    }))

  it.live("demo lists a sandbox over HTTP and sums it up", () =>
    Effect.gen(function*() {
      const run = yield* cli(["demo", "--items", "45", "--format", "ndjson"])
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(ndjson(FaceCollections.expectedItems({ organizations: { "1234567": 45 } }, "1234567")))
      // pages at offsets 0, 20, 40 (the 500 to request 3 retried), then the empty page at 45 (request 5)
      expect(run.stderr).toContain("demo: 45 items, 3 pages, 1 retry in ")
      expect(run.stderr).toContain("(5 requests to the sandbox)")
    }))
})

describe("secrets", () => {
  it("no run printed a line of the private key or an Authorization header", () => {
    expect(runs.length).toBeGreaterThanOrEqual(15)
    const secretLines = privateKeys.flatMap((pem) =>
      pem.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("-----"))
    )
    expect(secretLines.length).toBeGreaterThan(40)
    for (const run of runs) {
      for (const text of [run.stdout, run.stderr]) {
        expect(text).not.toContain("WECHATPAY2-SHA256-RSA2048 mchid=")
        expect(text).not.toContain("PRIVATE KEY")
        for (const line of secretLines) expect(text.includes(line)).toBe(false)
      }
    }
    Fs.rmSync(keyDir, { recursive: true, force: true })
  })
})
