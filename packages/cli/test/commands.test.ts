/**
 * A command for every endpoint: the built CLI (`dist/bin.js`, built by
 * `tsc -b` before vitest) run as a child process against a sandbox served
 * over loopback in the test. Per command: what the sandbox received (its
 * request log and product state), what was printed, the exit code. Bad
 * `--json` input is exit 2 with nothing sent; the charge under a dropped
 * connection is exit 6 and sent once. Every run is checked, where it is made,
 * for secrets and for the plaintext of sensitive fields.
 */
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer, type Scope } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

const ORG = "O1234567"
const SP_MCHID = "1900000100"
const SUB_MCHID = "1900000109"

/** Plaintext of sensitive fields used below: none may ever be printed. */
const PHONE = "13812345678"
const CARD_PHONE = "13987654321"
const ID_NUMBER = "110101201001011234"
const HOLDER_ID_NUMBER = "32010219800101567X"
const CARD_NUMBER = "6222020000001234567"
const HOLDER_NAME = "钱多多"
const USER_NAME = "赵小六"
/** The sandbox's seeded names of the users `users get` reads. */
const SEEDED_NAMES = ["张三", "李四"]
const SENSITIVE = [PHONE, CARD_PHONE, ID_NUMBER, HOLDER_ID_NUMBER, CARD_NUMBER, HOLDER_NAME, USER_NAME, ...SEEDED_NAMES]

// --- the fixture: keys once, their files in a temp dir removed at the end -----------------

interface Served {
  readonly url: string
  readonly sandbox: Sandbox.Service
  /** The client's settings for this sandbox: exactly the environment of a run. */
  readonly env: Record<string, string>
}

interface FixtureService {
  readonly serve: (faults?: string) => Effect.Effect<Served, unknown, Scope.Scope>
  /** Lines of the merchant private key: never printed. */
  readonly keyLines: ReadonlyArray<string>
  /** Writes a `--json` file in the fixture's temp dir. */
  readonly file: (name: string, content: string) => string
}

class Fixture extends Context.Tag("cli/test/commands/Fixture")<Fixture, FixtureService>() {}

const FixtureLive = Layer.scoped(
  Fixture,
  Effect.gen(function*() {
    const keys = yield* Sandbox.generateKeys
    const config = (yield* Sandbox.make(keys)).config
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-cli-commands-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const file = (name: string, content: string) => {
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, content, { mode: 0o600 })
      return path
    }
    const privateKeyFile = file("apiclient_key.pem", config.merchantPrivateKeyPem)
    const publicKeyFile = file("pub_key.pem", config.wechatpayPublicKeyPem)
    const serve = (spec = "") =>
      Effect.gen(function*() {
        const faults = yield* Faults.parseFaults(spec)
        const { url, sandbox } = yield* SandboxServer.serve({ ...keys, faults })
        const env = {
          WECHATPAY_MCHID: config.mchid,
          WECHATPAY_MERCHANT_SERIAL: config.merchantSerial,
          WECHATPAY_PRIVATE_KEY_FILE: privateKeyFile,
          WECHATPAY_PUBLIC_KEY_ID: config.wechatpayPublicKeyId,
          WECHATPAY_PUBLIC_KEY_FILE: publicKeyFile,
          WECHATPAY_BASE_URL: url
        }
        return { url, sandbox, env }
      })
    const keyLines = config.merchantPrivateKeyPem.split("\n").map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("-----"))
    return { serve, keyLines, file }
  })
)

// --- running the CLI ----------------------------------------------------------------------

interface Run {
  readonly args: ReadonlyArray<string>
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** What no output may hold: a line of the private key, an `Authorization` header, a sensitive plaintext. */
const expectNothingSecret = (run: Run, keyLines: ReadonlyArray<string>, more: ReadonlyArray<string> = []) => {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain("PRIVATE KEY")
    expect(text).not.toContain("WECHATPAY2-SHA256-RSA2048 mchid=")
    for (const line of keyLines) expect(text.includes(line)).toBe(false)
    for (const value of [...SENSITIVE, ...more]) expect(text.includes(value), `${run.args.join(" ")} printed ${value}`).toBe(false)
  }
}

/**
 * Runs the CLI with exactly `env` (and PATH), `stdin` piped in, and checks
 * its output for secrets before returning it.
 */
const cli = (args: ReadonlyArray<string>, env: Record<string, string>, stdin = "") =>
  Effect.flatMap(Fixture, ({ keyLines }) =>
    Effect.async<Run>((resume) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["pipe", "pipe", "pipe"]
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout.on("data", (b: Buffer) => out.push(b))
      child.stderr.on("data", (b: Buffer) => err.push(b))
      child.stdin.end(stdin)
      child.on("close", (code) => {
        const run = { args, code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }
        resume(Effect.sync(() => {
          expectNothingSecret(run, keyLines)
          return run
        }))
      })
      return Effect.sync(() => child.kill())
    }))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const parseObject = (text: string): Record<string, unknown> => {
  const parsed: unknown = JSON.parse(text)
  if (!isRecord(parsed)) throw new Error(`not a JSON object: ${text}`)
  return parsed
}

/** The single JSON object a successful run prints: one line on stdout. */
const answer = (run: Run): Record<string, unknown> => {
  expect(run.stdout.endsWith("\n")).toBe(true)
  const lines = run.stdout.split("\n")
  expect(lines).toHaveLength(2)
  return parseObject(lines[0] ?? "")
}

/** The single JSON line a failure writes on stderr. */
const report = (run: Run): Record<string, unknown> => {
  const lines = run.stderr.split("\n").filter((line) => line !== "")
  expect(lines).toHaveLength(1)
  return parseObject(lines[0] ?? "")
}

/** The requests the sandbox received, with their bodies parsed. */
const received = (served: Served) =>
  Effect.map(served.sandbox.requests, (requests) =>
    requests.map((r) => ({
      method: r.method,
      url: r.url,
      route: r.route,
      status: r.status,
      body: r.body === "" ? undefined : parseObject(r.body)
    })))

const json = (value: unknown) => JSON.stringify(value)

// --- the requests used below --------------------------------------------------------------

const presignBody = {
  business_name: "K12",
  facepay_user: {
    out_user_id: "student-0001",
    organization_id: ORG,
    identification_name: USER_NAME,
    identification: { identification_type: "IDCARD", identification_number: ID_NUMBER },
    phone: PHONE
  },
  limit_bank_card: {
    bank_card_number: CARD_NUMBER,
    identification_name: HOLDER_NAME,
    identification: { identification_type: "IDCARD", identification_number: HOLDER_ID_NUMBER },
    valid_thru: "12/29",
    bank_type: "ICBC_DEBIT",
    phone: CARD_PHONE
  },
  contract_mode: "LIMIT_BANK_CARD"
}

const chargeBody = (authCode: string, outTradeNo?: string) => ({
  auth_code: authCode,
  sp_mchid: SP_MCHID,
  sub_mchid: SUB_MCHID,
  amount: { total: 350 },
  scene_info: { device_ip: "10.0.0.8" },
  description: "lunch",
  ...(outTradeNo === undefined ? {} : { out_trade_no: outTradeNo }),
  business: { business_product_id: 2, business_scene_id: 3 }
})

const queryFlags = ["--sp-mchid", SP_MCHID, "--sub-mchid", SUB_MCHID, "--business-product-id", "2"]
const queryString = `sp_mchid=${SP_MCHID}&sub_mchid=${SUB_MCHID}&business_product_id=2`

// The encrypted fields of the pre-sign, by wire path.
const presignEncrypted = {
  "facepay_user.identification.identification_number": ID_NUMBER,
  "facepay_user.phone": PHONE,
  "limit_bank_card.bank_card_number": CARD_NUMBER,
  "limit_bank_card.identification_name": HOLDER_NAME,
  "limit_bank_card.identification.identification_number": HOLDER_ID_NUMBER,
  "limit_bank_card.phone": CARD_PHONE
}

const valueAt = (body: Record<string, unknown> | undefined, path: string): unknown =>
  path.split(".").reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), body)

layer(FixtureLive, { excludeTestServices: true, timeout: "30 seconds" })("commands", (it) => {
  // --- contracts --------------------------------------------------------------------------

  it.scoped("contracts get: GET the contract, print it in wire names; --appid goes in the query; unknown is exit 3", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const run = yield* cli(["contracts", "get", "CI000000000000001"], served.env)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(answer(run)).toEqual({
        contract_id: "CI000000000000001",
        mchid: served.sandbox.config.mchid,
        organization_id: ORG,
        use_id: "2088000000000001",
        openid: "openid-2088000000000001",
        contract_state: "CONTRACTED",
        contract_signed_time: "2024-09-01T08:00:00+08:00",
        contract_mode: "LIMIT_NONE",
        contract_bank_card_from: "USER_SELECT_FREE"
      })
      const withAppid = yield* cli(["contracts", "get", "CI000000000000002", "--appid", "wxd678efh567hg6787"], served.env)
      expect(withAppid.code).toBe(0)
      expect(answer(withAppid)["use_id"]).toBe("2088000000000002")
      const unknown = yield* cli(["contracts", "get", "CI-unknown"], served.env)
      expect(unknown.code).toBe(3)
      expect(unknown.stdout).toBe("")
      expect(report(unknown)).toMatchObject({ error: "WechatPayApiError", code: "RESOURCE_NOT_EXISTS" })
      expect(yield* received(served)).toEqual([
        { method: "GET", url: "/v3/offlineface/contracts/CI000000000000001", route: "getContract", status: 200, body: undefined },
        {
          method: "GET",
          url: "/v3/offlineface/contracts/CI000000000000002?appid=wxd678efh567hg6787",
          route: "getContract",
          status: 200,
          body: undefined
        },
        { method: "GET", url: "/v3/offlineface/contracts/CI-unknown", route: "getContract", status: 404, body: undefined }
      ])
    }))

  it.scoped("contracts presign --json FILE: six fields encrypted under the public key, the token printed, no plaintext", () =>
    Effect.gen(function*() {
      const fixture = yield* Fixture
      const served = yield* fixture.serve()
      const run = yield* cli(["contracts", "presign", "--json", fixture.file("presign.json", json(presignBody))], served.env)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(Object.keys(answer(run))).toEqual(["presign_token"])
      expect(answer(run)["presign_token"]).toMatch(/^PT-[0-9a-f]{24}$/)

      const product = yield* served.sandbox.product
      expect(product.presigns).toHaveLength(1)
      expect(product.presigns[0]).toEqual({ serial: served.sandbox.config.wechatpayPublicKeyId, decrypted: presignEncrypted })
      const [request] = yield* received(served)
      expect(request).toMatchObject({ method: "POST", url: "/v3/offlineface/contracts/presign", route: "presignContract" })
      const requests = yield* served.sandbox.requests
      expect(requests[0]?.wechatpaySerial).toBe(served.sandbox.config.wechatpayPublicKeyId)
      // On the wire: ciphertext where the plaintext was, every other field as given.
      const ciphertexts = Object.keys(presignEncrypted).map((path) => valueAt(request?.body, path))
      for (const [i, ciphertext] of ciphertexts.entries()) {
        expect(ciphertext).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/)
        expect(ciphertexts.indexOf(ciphertext)).toBe(i)
      }
      expect(valueAt(request?.body, "facepay_user.identification_name")).toBe(USER_NAME)
      expect(valueAt(request?.body, "limit_bank_card.valid_thru")).toBe("12/29")
      expect(valueAt(request?.body, "contract_mode")).toBe("LIMIT_BANK_CARD")
      // The ciphertext is not echoed either.
      expectNothingSecret(run, fixture.keyLines, ciphertexts.map(String))
    }))

  // --- transactions -----------------------------------------------------------------------

  it.scoped("transactions create: one charge with the body as given (currency CNY added), the transaction printed", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const run = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("face-ok", "K12CLI0000000001")))
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      const printed = answer(run)
      expect(printed).toMatchObject({
        sp_mchid: SP_MCHID,
        sub_mchid: SUB_MCHID,
        amount: { total: 350, currency: "CNY" },
        scene_info: { device_ip: "10.0.0.8" },
        trade_type: "AUTH",
        trade_state: "SUCCESS",
        description: "lunch",
        out_trade_no: "K12CLI0000000001"
      })
      expect(printed["transaction_id"]).toMatch(/^42000000/)
      expect(printed["success_time"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
      expect(yield* received(served)).toEqual([{
        method: "POST",
        url: "/v3/offlineface/transactions",
        route: "createTransaction",
        status: 200,
        body: { ...chargeBody("face-ok", "K12CLI0000000001"), amount: { total: 350, currency: "CNY" } }
      }])
      expect((yield* served.sandbox.product).charges).toBe(1)
    }))

  it.scoped("transactions create without out_trade_no: the generated one is sent and printed", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const run = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("face-ok")))
      expect(run.code).toBe(0)
      const outTradeNo = answer(run)["out_trade_no"]
      expect(outTradeNo).toMatch(/^K12\d{14}[0-9A-Z]{15}$/)
      const [request] = yield* received(served)
      expect(request?.body?.["out_trade_no"]).toBe(outTradeNo)
    }))

  it.scoped("transactions get: GET by out_trade_no with the three query values; unknown is exit 3 ORDER_NOT_EXIST", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const created = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("USERPAYING_1", "K12CLI0000000002")))
      expect(created.code).toBe(0)
      expect(answer(created)["trade_state"]).toBe("USERPAYING")
      // not final: the confirm command to run is on stderr
      expect(created.stderr).toMatch(
        /^charge K12CLI0000000002 is USERPAYING, not final yet: wait for it with node \S+ transactions confirm K12CLI0000000002 --sp-mchid 1900000100 --sub-mchid 1900000109 --business-product-id 2\n$/
      )
      const run = yield* cli(["transactions", "get", "K12CLI0000000002", ...queryFlags], served.env)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(answer(run)).toEqual({ ...answer(created), trade_state: "USERPAYING" })
      const missing = yield* cli(["transactions", "get", "K12CLI-unknown", ...queryFlags], served.env)
      expect(missing.code).toBe(3)
      expect(report(missing)).toMatchObject({ error: "WechatPayApiError", code: "ORDER_NOT_EXIST" })
      const requests = yield* received(served)
      expect(requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
        "POST /v3/offlineface/transactions 200",
        `GET /v3/offlineface/transactions/out-trade-no/K12CLI0000000002?${queryString} 200`,
        `GET /v3/offlineface/transactions/out-trade-no/K12CLI-unknown?${queryString} 404`
      ])
      expect((yield* served.sandbox.product).charges).toBe(1)
    }))

  it.scoped("transactions confirm: queries until final and prints it; not final in time is exit 6 with the command again", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const created = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("USERPAYING_2", "K12CLI0000000003")))
      expect(created.code).toBe(0)
      const run = yield* cli(["transactions", "confirm", "K12CLI0000000003", ...queryFlags, "--every", "100ms"], served.env)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(answer(run)).toMatchObject({ out_trade_no: "K12CLI0000000003", trade_state: "SUCCESS" })
      // USERPAYING_2: two queries still pending, the third final
      const queries = (yield* received(served)).filter((r) => r.route === "getTransaction")
      expect(queries).toHaveLength(3)

      const timeout = yield* cli(
        ["transactions", "confirm", "K12CLI-never", ...queryFlags, "--within", "300ms", "--every", "100ms"],
        served.env
      )
      expect(timeout.code).toBe(6)
      expect(timeout.stdout).toBe("")
      const line = report(timeout)
      expect(line).toMatchObject({ error: "WechatPayConfirmTimeoutError", outTradeNo: "K12CLI-never" })
      expect(line["message"]).toContain("WeChat Pay does not know it")
      expect(line["hint"]).toMatch(
        /^node \S+ transactions confirm K12CLI-never --sp-mchid 1900000100 --sub-mchid 1900000109 --business-product-id 2 --within 300ms --every 100ms$/
      )
      const bad = yield* cli(["transactions", "confirm", "K12CLI-never", ...queryFlags, "--within", "soon"], served.env)
      expect(bad.code).toBe(2)
      expect(report(bad)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--within") })
      expect((yield* served.sandbox.product).charges).toBe(1)
    }))

  it.scoped("the charge under charge-drop: exit 6 with out_trade_no and the confirm command; sent once; confirm prints it", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve("charge-drop:nth=1:route=createTransaction")
      const run = yield* cli(["transactions", "create", "--json", "-", "--max-attempts", "5"], served.env, json(chargeBody("face-ok")))
      expect(run.code).toBe(6)
      expect(run.stdout).toBe("")
      const line = report(run)
      expect(line["error"]).toBe("WechatPayOutcomeUnknownError")
      const [request, ...others] = yield* received(served)
      expect(others).toEqual([])
      expect(request).toMatchObject({ method: "POST", route: "createTransaction", status: "reset" })
      const outTradeNo = request?.body?.["out_trade_no"]
      expect(typeof outTradeNo).toBe("string")
      expect(line["outTradeNo"]).toBe(outTradeNo)
      expect(line["message"]).toContain(`the outcome of charge ${String(outTradeNo)} is unknown`)
      // exactly one charge, processed
      const product = yield* served.sandbox.product
      expect(product.charges).toBe(1)
      expect(product.transactions).toEqual([{ outTradeNo, tradeState: "SUCCESS" }])

      // the hint is the command to run, as is
      const hint = String(line["hint"])
      const match = /^node (\S+) (transactions confirm .*)$/.exec(hint)
      expect(match).not.toBeNull()
      expect(Path.resolve(match?.[1] ?? "")).toBe(BIN)
      expect(match?.[2]).toBe(`transactions confirm ${String(outTradeNo)} ${queryFlags.join(" ")}`)
      const confirm = yield* cli((match?.[2] ?? "").split(" "), served.env)
      expect(confirm.code).toBe(0)
      expect(answer(confirm)).toMatchObject({ out_trade_no: outTradeNo, trade_state: "SUCCESS", amount: { total: 350 } })
      expect((yield* served.sandbox.product).charges).toBe(1)
      expect((yield* received(served)).filter((r) => r.route === "createTransaction")).toHaveLength(1)
    }))

  it.scoped("the charge answered 500 SYSTEM_ERROR is exit 6 too, with the Request-ID; a 4xx is exit 3 (not charged)", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve("charge-500:nth=1:route=createTransaction")
      const run = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("face-ok", "K12CLI0000000004")))
      expect(run.code).toBe(6)
      const line = report(run)
      expect(line).toMatchObject({ error: "WechatPayOutcomeUnknownError", outTradeNo: "K12CLI0000000004" })
      const [request] = yield* served.sandbox.requests
      expect(line["requestId"]).toBe(request?.requestId)
      const again = yield* cli(["transactions", "create", "--json", "-"], served.env, json(chargeBody("face-ok", "K12CLI0000000004")))
      expect(again.code).toBe(3)
      expect(report(again)).toMatchObject({ error: "WechatPayApiError", code: "OUT_TRADE_NO_USED" })
      expect(report(again)["hint"]).toBeUndefined()
      expect((yield* served.sandbox.product).charges).toBe(1)
    }))

  // --- organizations ----------------------------------------------------------------------

  it.scoped("organizations get: by id, or by a Chinese name sent percent-encoded; both or neither is exit 2", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const byId = yield* cli(["organizations", "get", "--organization-id", ORG], served.env)
      const byName = yield* cli(["organizations", "get", "--organization-name", "某某实验小学"], served.env)
      for (const run of [byId, byName]) {
        expect(run.code).toBe(0)
        expect(run.stderr).toBe("")
        expect(answer(run)).toEqual({ organization_id: ORG, organization_name: "某某实验小学" })
      }
      const both = yield* cli(["organizations", "get", "--organization-id", ORG, "--organization-name", "x"], served.env)
      const neither = yield* cli(["organizations", "get"], served.env)
      for (const run of [both, neither]) {
        expect(run.code).toBe(2)
        expect(report(run)).toMatchObject({ error: "UsageError", message: expect.stringContaining("--organization-name") })
      }
      expect((yield* received(served)).map((r) => r.url)).toEqual([
        `/v3/offlinefacemch/organizations?organization_id=${ORG}`,
        `/v3/offlinefacemch/organizations?organization_name=${encodeURIComponent("某某实验小学")}`
      ])
    }))

  // --- users ------------------------------------------------------------------------------

  it.scoped("users get: the user in wire names, user_name hidden", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const run = yield* cli(["users", "get", "--organization-id", ORG, "--out-user-id", "student-0001"], served.env)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(answer(run)).toEqual({
        use_id: "2088000000000001",
        out_user_id: "student-0001",
        organization_id: ORG,
        user_name: "<hidden>",
        user_type: "STUDENT",
        student_info: { class_name: "三年级二班" },
        status: "NORMAL",
        contract_state: "CONTRACTED",
        face_image_ok: true,
        contract_id: "CI000000000000001"
      })
      expect(yield* received(served)).toEqual([{
        method: "GET",
        url: `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/student-0001`,
        route: "getFaceUser",
        status: 200,
        body: undefined
      }])
    }))

  it.scoped("users update: PATCH with user_name and phone encrypted; 204 prints nothing on stdout, one line on stderr", () =>
    Effect.gen(function*() {
      const fixture = yield* Fixture
      const served = yield* fixture.serve()
      const changes = { user_name: USER_NAME, phone: PHONE, student_info: { class_name: "五年级一班" }, status: "DISABLED" }
      const run = yield* cli(
        ["users", "update", "--organization-id", ORG, "--out-user-id", "student-0002", "--json", "-"],
        served.env,
        json(changes)
      )
      expect(run).toMatchObject({
        code: 0,
        stdout: "",
        stderr: `user student-0002 of organization ${ORG} updated (204 No Content)\n`
      })
      const product = yield* served.sandbox.product
      expect(product.updates).toEqual([{
        serial: served.sandbox.config.wechatpayPublicKeyId,
        decrypted: { user_name: USER_NAME, phone: PHONE }
      }])
      expect(product.users.find((u) => u.outUserId === "student-0002")).toMatchObject({
        userName: USER_NAME,
        phone: PHONE,
        className: "五年级一班",
        status: "DISABLED"
      })
      const [request] = yield* received(served)
      expect(request).toMatchObject({
        method: "PATCH",
        url: `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/student-0002`,
        status: 204,
        body: { student_info: { class_name: "五年级一班" }, status: "DISABLED" }
      })
      const ciphertexts = [valueAt(request?.body, "user_name"), valueAt(request?.body, "phone")].map(String)
      for (const ciphertext of ciphertexts) expect(ciphertext).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/)
      expectNothingSecret(run, fixture.keyLines, ciphertexts)

      // what the update changed, read back: the name stays hidden
      const after = yield* cli(["users", "get", "--organization-id", ORG, "--out-user-id", "student-0002"], served.env)
      expect(answer(after)).toMatchObject({ user_name: "<hidden>", student_info: { class_name: "五年级一班" }, status: "DISABLED" })

      const nothing = yield* cli(
        ["users", "update", "--organization-id", ORG, "--out-user-id", "student-0002", "--json", "-"],
        served.env,
        "{}"
      )
      expect(nothing.code).toBe(2)
      expect(report(nothing)).toMatchObject({ error: "WechatPayInvalidInputError", message: expect.stringContaining("nothing to update") })
      expect(yield* served.sandbox.requestCount).toBe(2)
    }))

  it.scoped("users terminate-contract: POST with no body, 204; the contract is TERMINATED; again is exit 3", () =>
    Effect.gen(function*() {
      const served = yield* (yield* Fixture).serve()
      const args = ["users", "terminate-contract", "--organization-id", ORG, "--user-id", "2088000000000002"]
      const run = yield* cli(args, served.env)
      expect(run).toMatchObject({
        code: 0,
        stdout: "",
        stderr: `contract of user 2088000000000002 of organization ${ORG} terminated (204 No Content)\n`
      })
      const product = yield* served.sandbox.product
      expect(product.contracts.find((c) => c.contractId === "CI000000000000002")?.contractState).toBe("TERMINATED")
      expect(product.contracts.find((c) => c.contractId === "CI000000000000001")?.contractState).toBe("CONTRACTED")
      const again = yield* cli(args, served.env)
      expect(again.code).toBe(3)
      expect(report(again)).toMatchObject({ error: "WechatPayApiError", code: "INVALID_REQUEST" })
      const url = `/v3/offlinefacemch/organizations/${ORG}/users/user-id/2088000000000002/terminate-contract`
      expect(yield* received(served)).toEqual([
        { method: "POST", url, route: "terminateContract", status: 204, body: undefined },
        { method: "POST", url, route: "terminateContract", status: 400, body: undefined }
      ])
    }))

  // --- authinfo, repayment-url, tokens ----------------------------------------------------

  it.scoped("authinfo, repayment-url, tokens: the body sent as given, the answer printed", () =>
    Effect.gen(function*() {
      const fixture = yield* Fixture
      const served = yield* fixture.serve()
      const authinfoBody = {
        sp_appid: "wx8888888888888888",
        sub_mchid: SUB_MCHID,
        device_id: "DEVICE-001",
        raw_data: "raw-data-from-the-device-sdk",
        organization_id: ORG
      }
      const repaymentBody = { out_user_id: "student-0001", organization_id: ORG }
      const tokenBody = { scene: "WEBSESSION", web_init_data: { out_user_id: "student-0001", organization_id: ORG } }
      const authinfo = yield* cli(["authinfo", "--json", fixture.file("authinfo.json", json(authinfoBody))], served.env)
      const repayment = yield* cli(["repayment-url", "--json", "-"], served.env, json(repaymentBody))
      const token = yield* cli(["tokens", "--json", "-"], served.env, json(tokenBody))
      for (const run of [authinfo, repayment, token]) {
        expect(run.code).toBe(0)
        expect(run.stderr).toBe("")
      }
      expect(answer(authinfo)).toEqual({ authinfo: expect.stringMatching(/^AUTHINFO-[0-9a-f]{24}$/) })
      expect(answer(repayment)).toEqual({
        repayment_url: expect.stringMatching(/^https:\/\/sandbox\.invalid\/repay\/[0-9a-f]{16}$/),
        expire_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
      })
      expect(answer(token)).toEqual({ token: expect.stringMatching(/^TK-[0-9a-f]{24}$/) })
      expect(yield* received(served)).toEqual([
        { method: "POST", url: "/v3/offlineface/authinfo", route: "getAuthinfo", status: 200, body: authinfoBody },
        { method: "POST", url: "/v3/offlineface/repayment-url", route: "getRepaymentUrl", status: 200, body: repaymentBody },
        { method: "POST", url: "/v3/offlinefacemch/tokens", route: "createToken", status: 200, body: tokenBody }
      ])
    }))

  // --- bad input: exit 2, nothing sent -----------------------------------------------------

  it.scoped("bad --json (missing field, wrong type, unknown enum, unknown field, not JSON, no file): exit 2, nothing sent", () =>
    Effect.gen(function*() {
      const fixture = yield* Fixture
      const served = yield* fixture.serve()
      const user = ["--organization-id", ORG, "--out-user-id", "student-0001"]
      const { business_name: _, ...presignWithoutName } = presignBody
      const { auth_code: __, ...chargeWithoutCode } = chargeBody("x")
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, unknown, string]> = [
        [["contracts", "presign"], presignWithoutName, "business_name: is missing"],
        [["contracts", "presign"], { ...presignBody, facepay_user: { ...presignBody.facepay_user, phone: Number(PHONE) } }, "facepay_user.phone: Expected string"],
        [
          ["contracts", "presign"],
          { ...presignBody, facepay_user: { ...presignBody.facepay_user, identification: { identification_type: "PASSPORT", identification_number: ID_NUMBER } } },
          "facepay_user.identification.identification_type: must be one of IDCARD"
        ],
        [["contracts", "presign"], { ...presignBody, contract_mode: "ANY_CARD" }, "contract_mode: Expected \"LIMIT_BANK_CARD\" | \"PRIORITY_BANK_CARD\" | \"LIMIT_NONE\""],
        [["contracts", "presign"], { ...presignBody, limit_bank_card: { ...presignBody.limit_bank_card, valid_thru: "2029-12" } }, "limit_bank_card.valid_thru: must be mm/yy"],
        [["transactions", "create"], chargeWithoutCode, "auth_code: is missing"],
        [["transactions", "create"], { ...chargeBody("x"), amount: { total: "350" } }, "amount.total: Expected number"],
        [["transactions", "create"], { ...chargeBody("x"), business: { business_product_id: 2, business_scene_id: 7 } }, "business.business_scene_id: Expected 3 | 4 | 5 | 6 | 124 | 125 | 126"],
        [["transactions", "create"], { ...chargeBody("x"), sp_mchid: undefined }, "sp_mchid: is missing"],
        [["transactions", "create"], { ...chargeBody("x"), outTradeNo: "K12CLI0000000009" }, "outTradeNo: is unexpected"],
        [["users", "update", ...user], { student_info: {} }, "student_info.class_name: is missing"],
        [["users", "update", ...user], { user_name: USER_NAME, phone: [PHONE] }, "phone: Expected string"],
        [["users", "update", ...user], { user_type: "TEACHER" }, "user_type: Expected \"STUDENT\" | \"STUFF\" | \"STAFF\""],
        [["users", "update", ...user], { user_name: "" }, "user_name: must not be empty"],
        [["authinfo"], { sp_appid: "wx1", sub_mchid: SUB_MCHID, raw_data: "r", organization_id: ORG }, "device_id: is missing"],
        [["authinfo"], { sp_appid: "wx1", sub_mchid: SUB_MCHID, device_id: "D", raw_data: 1, organization_id: ORG }, "raw_data: Expected string"],
        [["repayment-url"], { out_user_id: "student-0001" }, "organization_id: is missing"],
        [["repayment-url"], { outUserId: "student-0001", organization_id: ORG }, "outUserId: is unexpected"],
        [["tokens"], { scene: "WEBSESSION", web_init_data: `${USER_NAME} ${PHONE}` }, "web_init_data: Expected an object"],
        [["tokens"], { web_init_data: { out_user_id: "u", organization_id: ORG } }, "scene: is missing"]
      ]
      const runs = yield* Effect.forEach(
        cases,
        ([args, body]) => cli([...args, "--json", "-"], served.env, json(body)),
        // every run is a Node process starting (about a second of CPU): two at a time on a small machine
        { concurrency: 2 }
      )
      // all at once, so that one mismatch does not hide the others
      const seen = runs.map((run, i) => {
        const line = report(run)
        const message = String(line["message"])
        const reason = cases[i]![2]
        return {
          args: run.args.join(" "),
          code: run.code,
          stdout: run.stdout,
          error: line["error"],
          fits: message.startsWith("--json - (stdin): it does not fit the request: ") && message.includes(reason)
            ? reason
            : message
        }
      })
      expect(seen).toEqual(cases.map(([args, , reason]) => ({
        args: [...args, "--json", "-"].join(" "),
        code: 2,
        stdout: "",
        error: "JsonInputError",
        fits: reason
      })))
      const notJson = yield* cli(["contracts", "presign", "--json", "-"], served.env, `{"phone": "${PHONE}",}`)
      expect(notJson.code).toBe(2)
      expect(report(notJson)).toMatchObject({ error: "JsonInputError", message: expect.stringContaining("not valid JSON") })
      const noFile = yield* cli(["tokens", "--json", Path.join(Os.tmpdir(), "no-such-dir-wt13", "token.json")], served.env)
      expect(noFile.code).toBe(2)
      expect(report(noFile)).toMatchObject({ error: "JsonInputError", message: expect.stringContaining("no such file") })
      expect(yield* served.sandbox.requestCount).toBe(0)
    }), 180_000)
})
