/**
 * `certificates download` as a built binary (`dist/bin.js`) against the
 * sandbox over loopback HTTP, with an explicit environment: one PEM per
 * serial, one line per certificate; public-key mode's 404 as a configuration
 * error naming the public-key variables; a tampered answer or another APIv3
 * key refused; no secret in any output.
 */
import { Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const generated = await Effect.runPromise(Sandbox.generateKeys)
/** Every sandbox of this file shares the keys and the APIv3 key, so the secrets check covers every run. */
const keys = { ...generated, apiV3Key: "TestOnlyApiV3Key0123456789abcdef" }

const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-cli-certificates-"))
const writeKey = (name: string, text: string) => {
  const path = Path.join(tmp, name)
  Fs.writeFileSync(path, text, { mode: 0o600 })
  return path
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}
const runs: Array<Run> = []

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
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
      const run = { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }
      runs.push(run)
      resume(Effect.succeed(run))
    })
    return Effect.sync(() => child.kill())
  })

/** The merchant's settings and the APIv3 key: no verification key at all. */
const envOf = (server: SandboxServer.Running, extra: Record<string, string> = {}): Record<string, string> => {
  const c = server.sandbox.config
  return {
    WECHATPAY_MCHID: c.mchid,
    WECHATPAY_MERCHANT_SERIAL: c.merchantSerial,
    WECHATPAY_PRIVATE_KEY_FILE: writeKey("apiclient_key.pem", c.merchantPrivateKeyPem),
    WECHATPAY_APIV3_KEY: c.apiV3Key,
    WECHATPAY_BASE_URL: server.url,
    ...extra
  }
}

const reportOf = (run: Run): Record<string, unknown> => {
  const lines = run.stderr.split("\n").filter((line) => line !== "")
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0] ?? "") as Record<string, unknown>
}

const secretsOf = (config: Sandbox.SandboxConfig): ReadonlyArray<string> => [
  config.apiV3Key,
  ...config.merchantPrivateKeyPem.split("\n").filter((line) => line !== "" && !line.startsWith("-----"))
]

describe("certificates download", () => {
  it.scopedLive("writes <serial>.pem per certificate and prints serial, effective and expire times", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate" })
      const rotated = yield* server.sandbox.rotateCertificate({ effectiveAt: Date.parse("2030-01-01T00:00:00+08:00") })
      const out = Path.join(tmp, "certs")
      const run = yield* cli(["certificates", "download", "--out", out], envOf(server))
      expect(run.code).toBe(0)
      const lines = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, string>)
      const c = server.sandbox.config
      expect(lines.map((line) => line["serial_no"])).toEqual([rotated.serial, c.platformCertificateSerial])
      expect(lines[0]).toEqual({
        serial_no: rotated.serial,
        effective_time: "2030-01-01T00:00:00+08:00",
        expire_time: "2034-12-31T00:00:00+08:00",
        file: Path.join(out, `${rotated.serial}.pem`)
      })
      expect(lines[1]?.["effective_time"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
      expect(Fs.readdirSync(out).sort()).toEqual([`${rotated.serial}.pem`, `${c.platformCertificateSerial}.pem`].sort())
      expect(Fs.readFileSync(Path.join(out, `${c.platformCertificateSerial}.pem`), "utf8")).toBe(c.platformCertificatePem)
      expect(Fs.readFileSync(Path.join(out, `${rotated.serial}.pem`), "utf8")).toBe(rotated.pem)
      expect(run.stderr).toContain("2 platform certificates written to")
      // The download named no serial: nothing was held; it was verified with the decrypted certificate.
      const requests = yield* server.sandbox.requests
      expect(requests.map((r) => [r.url, r.status, r.wechatpaySerial])).toEqual([["/v3/certificates", 200, undefined]])
    }))

  it.scopedLive("the APIv3 key from a file; a held certificate is named in the request", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate" })
      const c = server.sandbox.config
      const out = Path.join(tmp, "certs-file")
      const run = yield* cli(["certificates", "download", "--out", out], envOf(server, {
        WECHATPAY_APIV3_KEY: "",
        WECHATPAY_APIV3_KEY_FILE: writeKey("apiv3.key", c.apiV3Key + "\n"),
        WECHATPAY_PLATFORM_CERT_FILES: writeKey("held.pem", c.platformCertificatePem)
      }))
      expect(run.code).toBe(0)
      expect(run.stdout.trimEnd().split("\n")).toHaveLength(1)
      expect((yield* server.sandbox.requests)[0]?.wechatpaySerial).toBe(c.platformCertificateSerial)
    }))

  it.scopedLive("public-key mode: 404 RESOURCE_NOT_EXISTS is exit 2, the report points to the public-key variables", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "publicKey" })
      const out = Path.join(tmp, "none")
      const run = yield* cli(["certificates", "download", "--out", out], envOf(server))
      expect(run.code).toBe(2)
      expect(run.stdout).toBe("")
      const report = reportOf(run)
      expect(report["error"]).toBe("WechatPayConfigError")
      expect(String(report["message"])).toMatch(/WECHATPAY_PUBLIC_KEY_ID .*WECHATPAY_PUBLIC_KEY_FILE .*WECHATPAY_PUBLIC_KEY\)/)
      expect(Fs.existsSync(out)).toBe(false)
    }))

  it.scopedLive("a tampered answer is exit 4 and writes nothing", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({
        ...keys,
        mode: "certificate",
        faults: { faults: [{ kind: "tamper", select: { _tag: "Every" } }] }
      })
      const out = Path.join(tmp, "tampered")
      const run = yield* cli(["certificates", "download", "--out", out], envOf(server))
      expect(run.code).toBe(4)
      expect(reportOf(run)["error"]).toBe("WechatPayVerificationError")
      expect(Fs.existsSync(out)).toBe(false)
    }))

  it.scopedLive("another APIv3 key: exit 4, a decryption error; a missing one: exit 2, named", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate" })
      const wrong = yield* cli(["certificates", "download", "--out", Path.join(tmp, "wrong")], envOf(server, {
        WECHATPAY_APIV3_KEY: "WrongApiV3Key0123456789abcdefghi"
      }))
      expect(wrong.code).toBe(4)
      expect(reportOf(wrong)["error"]).toBe("WechatPayDecryptError")
      expect(wrong.stderr).not.toContain("WrongApiV3Key0123456789abcdefghi")
      const missing = yield* cli(["certificates", "download", "--out", Path.join(tmp, "missing")], envOf(server, {
        WECHATPAY_APIV3_KEY: ""
      }))
      expect(missing.code).toBe(2)
      expect(String(reportOf(missing)["message"])).toContain("WECHATPAY_APIV3_KEY")
    }))

  it.scopedLive("no run printed a secret", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate" })
      const secrets = secretsOf(server.sandbox.config)
      expect(runs.length).toBeGreaterThan(5)
      for (const run of runs) {
        for (const secret of secrets) {
          expect(run.stdout).not.toContain(secret)
          expect(run.stderr).not.toContain(secret)
        }
      }
    }))
})
