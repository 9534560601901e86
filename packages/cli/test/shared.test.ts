/**
 * The helpers every command group shares (`src/commands/shared.ts`), in
 * process: `--json FILE` (a file or `-` for stdin), one JSON answer on stdout,
 * the 204 line on stderr, `--max-attempts`; and the package's public surface.
 */
import { Command } from "@effect/cli"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Duration, Effect, Either, Option, Schema } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { PassThrough, Readable, Writable } from "node:stream"
import { WechatPayError } from "@effect-wechatpay/core"
import * as Client from "../src/commands/client.js"
import * as Shared from "../src/commands/shared.js"
import * as Failure from "../src/Failure.js"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-cli-shared-"))
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const file = (name: string, content: string | Uint8Array) => {
  const path = Path.join(dir, name)
  Fs.writeFileSync(path, content)
  return path
}

/** A readable stdin holding `chunks`. */
const stdin = (...chunks: ReadonlyArray<string | Uint8Array>) => Readable.from(chunks.map((c) => typeof c === "string" ? Buffer.from(c) : c))

/** Everything written to a fresh writable. */
const capture = () => {
  const chunks: Array<Buffer> = []
  const writable = new PassThrough()
  writable.on("data", (b: Buffer) => chunks.push(b))
  return { writable, text: () => Buffer.concat(chunks).toString("utf8") }
}

const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

/** What the CLI would do with the failure: exit code and the JSON line. */
const outcome = (error: unknown) => Failure.fromError(error)

describe("readJson (--json FILE)", () => {
  it.effect("reads a file as UTF-8 JSON", () =>
    Effect.gen(function*() {
      const path = file("request.json", `{"out_trade_no":"T1","amount":{"total":350},"name":"张三"}\n`)
      expect(yield* Shared.readJson(path)).toEqual({ out_trade_no: "T1", amount: { total: 350 }, name: "张三" })
    }))

  it.effect("- reads stdin to the end, across chunks (a multi-byte character split between two)", () =>
    Effect.gen(function*() {
      const bytes = Buffer.from(`{"name":"张三","list":[1,2,3]}`)
      const value = yield* Shared.readJson("-", stdin(bytes.subarray(0, 10), bytes.subarray(10, 12), bytes.subarray(12)))
      expect(value).toEqual({ name: "张三", list: [1, 2, 3] })
    }))

  it.effect("a leading byte-order mark is skipped", () =>
    Effect.gen(function*() {
      const path = file("bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"a":1}`)]))
      expect(yield* Shared.readJson(path)).toEqual({ a: 1 })
      expect(yield* Shared.readJson("-", stdin("\uFEFF[true]"))).toEqual([true])
    }))

  it.effect("a missing file is JsonInputError, exit 2, with the path and the reason", () =>
    Effect.gen(function*() {
      const path = Path.join(dir, "missing.json")
      const error = yield* failure(Shared.readJson(path))
      expect(error).toBeInstanceOf(Shared.JsonInputError)
      expect(error.message).toBe(`--json ${path}: cannot read it: no such file (ENOENT)`)
      expect(outcome(error)).toEqual({
        exitCode: 2,
        report: { error: "JsonInputError", message: error.message }
      })
      expect(Failure.formatReport(outcome(error).report!)).toBe(
        JSON.stringify({ error: "JsonInputError", message: error.message }) + "\n"
      )
    }))

  it.effect("a directory is not a file", () =>
    Effect.gen(function*() {
      const error = yield* failure(Shared.readJson(dir))
      expect(error.reason).toBe("cannot read it: is a directory, not a file (EISDIR)")
      expect(outcome(error).exitCode).toBe(Failure.ExitCode.BadInput)
    }))

  it.effect("invalid JSON says where, by line and column, and never quotes the input", () =>
    Effect.gen(function*() {
      const secret = "13800138000"
      const cases: ReadonlyArray<readonly [string, string]> = [
        [`{\n  "phone": "${secret}",\n}`, "it is not valid JSON: Expected double-quoted property name (line 3, column 1)"],
        [`{"phone": "${secret}"`, "it is not valid JSON: Expected ',' or '}' after property value (line 1, column 24)"],
        [`{"phone": ${secret}x}`, "it is not valid JSON: Expected ',' or '}' after property value (line 1, column 22)"],
        [`phone=${secret}`, "it is not valid JSON: unexpected 'p'"],
        [`{"phone": "${secret}`, "it is not valid JSON: Unterminated string (line 1, column 23)"],
        [`{"phone":`, "it is not valid JSON: it ends too early (line 1, column 10)"],
        [`{"a":1} {"b":2}`, "it is not valid JSON: Unexpected non-whitespace character after JSON (line 1, column 9)"]
      ]
      for (const [text, reason] of cases) {
        const fromFile = yield* failure(Shared.readJson(file("bad.json", text)))
        const fromStdin = yield* failure(Shared.readJson("-", stdin(text)))
        expect(fromFile.reason).toBe(reason)
        expect(fromStdin.reason).toBe(reason)
        expect(fromStdin.message).toBe(`--json - (stdin): ${reason}`)
        expect(fromFile.message).not.toContain(secret)
        expect(outcome(fromStdin).exitCode).toBe(2)
      }
    }))

  it.effect("empty input (an empty file, stdin closed at once, only blanks) is not JSON", () =>
    Effect.gen(function*() {
      expect((yield* failure(Shared.readJson(file("empty.json", "")))).reason).toBe("it is empty, not JSON")
      expect((yield* failure(Shared.readJson("-", stdin()))).reason).toBe("it is empty, not JSON")
      expect((yield* failure(Shared.readJson("-", stdin(" \n\t")))).reason).toBe("it is empty, not JSON")
    }))

  it.effect("bytes that are not UTF-8 are refused, not replaced", () =>
    Effect.gen(function*() {
      // "张三" in GBK
      const gbk = Buffer.concat([Buffer.from(`{"name":"`), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from(`"}`)])
      const error = yield* failure(Shared.readJson(file("gbk.json", gbk)))
      expect(error.reason).toBe("it is not UTF-8 text")
      expect(outcome(error).exitCode).toBe(2)
    }))

  it.effect("a stdin that fails is an input error too", () =>
    Effect.gen(function*() {
      const broken = new Readable({
        read() {
          this.destroy(Object.assign(new Error("read failed"), { code: "EIO" }))
        }
      })
      const error = yield* failure(Shared.readJson("-", broken))
      expect(error.message).toBe("--json - (stdin): cannot read it (EIO)")
      expect(outcome(error).exitCode).toBe(2)
    }))
})

describe("readJsonWith (--json FILE, decoded)", () => {
  const Request = Schema.Struct({
    out_trade_no: Schema.String,
    amount: Schema.Struct({ total: Schema.Int })
  })

  it.effect("decodes with the schema", () =>
    Effect.gen(function*() {
      const value = yield* Shared.readJsonWith(Request, "-", stdin(`{"out_trade_no":"T1","amount":{"total":350}}`))
      expect(value).toEqual({ out_trade_no: "T1", amount: { total: 350 } })
    }))

  it.effect("a value that does not fit is JsonInputError naming every field at fault; exit 2", () =>
    Effect.gen(function*() {
      const error = yield* failure(
        Shared.readJsonWith(Request, "-", stdin(`{"amount":{"total":"350"},"out_trade_no":"T1","outTradeNo":"T1"}`))
      )
      expect(error).toBeInstanceOf(Shared.JsonInputError)
      expect(error.reason).toMatch(/^it does not fit the request: /)
      expect(error.reason).toContain("amount.total: ")
      // a misspelt (camelCase) field is not silently dropped
      expect(error.reason).toContain("outTradeNo: ")
      expect(outcome(error).exitCode).toBe(2)
      const notObject = yield* failure(Shared.readJsonWith(Request, "-", stdin(`[1]`)))
      expect(notObject.reason).toMatch(/^it does not fit the request: \(top\): /)
    }))

  it.effect("never quotes a value that does not fit: a phone, an ID number, a name, anywhere in the input", () =>
    Effect.gen(function*() {
      const phone = "13800138000"
      const id = "110101201001011234"
      const name = "张三"
      const Sensitive = Schema.Struct({
        phone: Schema.optional(Schema.Redacted(Schema.String)),
        identification: Schema.Struct({
          identification_type: Schema.Literal("IDCARD"),
          identification_number: Schema.Redacted(Schema.String.pipe(Schema.minLength(1)))
        }),
        name: Schema.optional(Schema.String.pipe(Schema.maxLength(1)))
      })
      const inputs = [
        `{"phone":${phone},"identification":{"identification_type":"${name}","identification_number":${id}},"name":"${name}"}`,
        `{"phone":["${phone}"],"identification":"${name} ${id}"}`,
        `{"phone":{"number":"${phone}"},"identification":[${id}],"name":{"${name}":1}}`,
        `["${phone}","${id}","${name}"]`,
        `"${name} ${phone} ${id}"`
      ]
      for (const input of inputs) {
        const error = yield* failure(Shared.readJsonWith(Sensitive, "-", stdin(input)))
        expect(error.reason).toMatch(/^it does not fit the request: /)
        for (const secret of [phone, id, name, id.slice(0, 12), phone.slice(0, 7)]) {
          expect(error.message).not.toContain(secret)
          expect(Failure.formatReport(outcome(error).report!)).not.toContain(secret)
        }
      }
      const first = yield* failure(Shared.readJsonWith(Sensitive, "-", stdin(inputs[0]!)))
      // still says which field and why
      expect(first.reason).toBe(
        "it does not fit the request: phone: Expected string; identification.identification_type: " +
          "Expected \"IDCARD\"; identification.identification_number: Expected string; name: Expected a string at " +
          "most 1 character(s) long"
      )
    }))

  it.effect("optional fields and literal unions: one entry per field, no \"Expected undefined\"", () =>
    Effect.gen(function*() {
      const Body = Schema.Struct({
        mode: Schema.optional(Schema.Literal("A", "B")),
        user: Schema.optional(Schema.Struct({ id: Schema.String })),
        amount: Schema.Struct({ total: Schema.Int })
      })
      const error = yield* failure(
        Shared.readJsonWith(Body, "-", stdin(`{"mode":"C","user":{"id":1},"amount":"350"}`))
      )
      expect(error.reason).toBe(
        "it does not fit the request: mode: Expected \"A\" | \"B\"; user.id: Expected string; amount: Expected an object"
      )
    }))

  it.effect("a read or parse failure comes first, as for readJson", () =>
    Effect.gen(function*() {
      const error = yield* failure(Shared.readJsonWith(Request, "-", stdin(`{`)))
      expect(error.reason).toMatch(/^it is not valid JSON/)
    }))
})

describe("answers", () => {
  it.effect("printJson: one line, JSON.stringify of the answer", () =>
    Effect.gen(function*() {
      const out = capture()
      const answer = { transaction_id: "4200001", amount: { total: 350, currency: "CNY" }, name: "张三" }
      yield* Shared.printJson(answer, out.writable)
      expect(out.text()).toBe(JSON.stringify(answer) + "\n")
    }))

  it.effect("printJson: a closed reader is OutputError EPIPE, a silent exit 141", () =>
    Effect.gen(function*() {
      const closed = new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }))
        }
      })
      const error = yield* failure(Shared.printJson({ a: 1 }, closed))
      expect(error).toMatchObject({ _tag: "OutputError", code: "EPIPE" })
      expect(outcome(error)).toEqual({ exitCode: Failure.ExitCode.BrokenPipe, report: undefined })
    }))

  it.effect("printAnswer: the answer encoded back to WeChat Pay's field names, on one line", () =>
    Effect.gen(function*() {
      const Answer = Schema.Struct({
        outTradeNo: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("out_trade_no")),
        total: Schema.NumberFromString
      })
      const out = capture()
      yield* Shared.printAnswer(Answer, { outTradeNo: "T1", total: 350 }, out.writable)
      expect(out.text()).toBe(`{"out_trade_no":"T1","total":"350"}\n`)
    }))

  it.effect("printNoContent: one line for people on stderr, nothing on stdout", () =>
    Effect.gen(function*() {
      const err = capture()
      yield* Shared.printNoContent("user U1 of organization 1234567 updated", err.writable)
      expect(err.text()).toBe("user U1 of organization 1234567 updated (204 No Content)\n")
    }))

  it.effect("say: the text and a newline", () =>
    Effect.gen(function*() {
      const err = capture()
      yield* Shared.say("demo: done", err.writable)
      expect(err.text()).toBe("demo: done\n")
    }))
})

describe("durations (--within, --every)", () => {
  it("reads 30s, 1.5m, 500ms, 2 minutes, 1h; refuses the rest and more than 24 hours", () => {
    const millis = (text: string) => {
      const parsed = Shared.parseDuration(text)
      return parsed === undefined ? undefined : Duration.toMillis(parsed)
    }
    expect(millis("30s")).toBe(30_000)
    expect(millis("1.5m")).toBe(90_000)
    expect(millis("500ms")).toBe(500)
    expect(millis("2 minutes")).toBe(120_000)
    expect(millis("1 second")).toBe(1000)
    expect(millis("1h")).toBe(3_600_000)
    expect(millis("24h")).toBe(86_400_000)
    for (const bad of ["", "30", "s", "-1s", "1x", "25h", "1e3s", "30 s s"]) expect(millis(bad)).toBeUndefined()
  })

  it("formats back to what it reads", () => {
    for (const [millis, text] of [[120_000, "2m"], [90_000, "90s"], [1500, "1500ms"], [7_200_000, "2h"], [0, "0ms"]] as const) {
      expect(Shared.formatDuration(Duration.millis(millis))).toBe(text)
      expect(Shared.parseDuration(text)).toEqual(Duration.millis(millis))
    }
  })
})

describe("--max-attempts", () => {
  it.effect("1 to 100 runs the effect; anything else is UsageError, exit 2, before it runs", () =>
    Effect.gen(function*() {
      let ran = 0
      const effect = Effect.sync(() => ++ran)
      yield* Client.withMaxAttempts(Option.none())(effect)
      yield* Client.withMaxAttempts(Option.some(1))(effect)
      yield* Client.withMaxAttempts(Option.some(100))(effect)
      expect(ran).toBe(3)
      for (const n of [0, 101, 1.5, -1]) {
        const error = yield* failure(Client.withMaxAttempts(Option.some(n))(effect))
        expect(outcome(error)).toEqual({
          exitCode: 2,
          report: { error: "UsageError", message: `--max-attempts must be between 1 and 100, got ${n}` }
        })
      }
      expect(ran).toBe(3)
    }))
})

describe("the --json option", () => {
  const parse = (args: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      let seen: string | undefined
      const command = Command.make("x", { json: Shared.json }, ({ json }) =>
        Effect.sync(() => {
          seen = json
        }))
      const result = yield* Effect.either(
        Command.run(command, { name: "x", version: "0" })(["node", "x", ...args]).pipe(
          Effect.provide(NodeContext.layer),
          // @effect/cli prints a parse failure through Console.error: not this test's output
          (effect) => Effect.consoleWith((console) => Effect.withConsole(effect, { ...console, error: () => Effect.void }))
        )
      )
      return { seen, failed: Either.isLeft(result) }
    })

  it.effect("takes a path, or - for stdin, and is required", () =>
    Effect.gen(function*() {
      expect(yield* parse(["--json", "request.json"])).toEqual({ seen: "request.json", failed: false })
      expect(yield* parse(["--json", "-"])).toEqual({ seen: "-", failed: false })
      expect(yield* parse([])).toMatchObject({ seen: undefined, failed: true })
    }))
})

describe("the package", () => {
  it("exports the program only: main and teardown", async () => {
    const index = await import("../src/index.js")
    expect(Object.keys(index).sort()).toEqual(["main", "teardown"])
    const json: unknown = JSON.parse(Fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    const exportsField = typeof json === "object" && json !== null && "exports" in json ? json.exports : undefined
    expect(exportsField).toEqual({ ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } })
  })
})

describe("Failure.Hinted and exit 6", () => {
  it("a charge's unknown outcome is exit 6; the line carries outTradeNo and the hint", () => {
    const unknown = new WechatPayError.WechatPayOutcomeUnknownError({
      method: "POST",
      path: "/v3/offlineface/transactions",
      outTradeNo: "K12TEST000001",
      failure: "WechatPayTransportError",
      description: "the connection failed: reset"
    })
    const hint = "effect-wechatpay transactions confirm K12TEST000001 --sp-mchid 1 --sub-mchid 2 --business-product-id 2"
    expect(outcome(new Failure.Hinted({ error: unknown, hint }))).toEqual({
      exitCode: 6,
      report: { error: "WechatPayOutcomeUnknownError", message: unknown.message, outTradeNo: "K12TEST000001", hint }
    })
    expect(outcome(unknown)).toEqual({
      exitCode: Failure.ExitCode.OutcomeUnknown,
      report: { error: "WechatPayOutcomeUnknownError", message: unknown.message, outTradeNo: "K12TEST000001" }
    })
    const timeout = new WechatPayError.WechatPayConfirmTimeoutError({ outTradeNo: "K12TEST000001", found: false, elapsedMillis: 30_000 })
    expect(outcome(timeout).exitCode).toBe(6)
    // a hint on another failure keeps that failure's code
    expect(outcome(new Failure.Hinted({ error: new Failure.UsageError({ message: "x" }), hint: "y" }))).toEqual({
      exitCode: 2,
      report: { error: "UsageError", message: "x", hint: "y" }
    })
  })
})
