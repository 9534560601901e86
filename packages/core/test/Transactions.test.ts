/**
 * The charge's contract with its caller, over a recording client: the body
 * sent (wire names, an out_trade_no always), the retry class, and which
 * failures leave the outcome unknown.
 */
import { Transactions, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Schema, TestClock } from "effect"
import { recording } from "./recording.js"

// Moves the test clock a second at a time, so a poller that sleeps again after waking is woken too.
const advance = (seconds: number) => Effect.repeatN(TestClock.adjust(Duration.seconds(1)), seconds - 1)



const paid = {
  sp_mchid: "1900000100",
  sub_mchid: "1900000109",
  sp_appid: "wx8888888888888888",
  amount: { total: 350, currency: "CNY" },
  trade_state: "SUCCESS",
  success_time: "2024-12-01T08:30:00+08:00",
  transaction_id: "4200000000202412010000000001"
}

const params: Transactions.ChargeParams = {
  authCode: "face-credential",
  subMchid: "1900000109",
  amount: { total: 350 },
  sceneInfo: { deviceIp: "10.0.0.8" },
  business: { businessProductId: 2, businessSceneId: 3 }
}

const context = { method: "POST", path: "/v3/offlineface/transactions" }
const api = (status: number, code?: string) =>
  new WechatPayError.WechatPayApiError({ ...context, status, code, verified: true, attempts: 1 })
const transport = (reason: "Connection" | "Timeout" | "Refused") =>
  new WechatPayError.WechatPayTransportError({ ...context, reason, description: "x", attempts: 1 })

describe("charge", () => {
  it.effect("sends the body in wire names, a generated out_trade_no, CNY by default, as an unsafe request", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => Effect.succeed(paid))
      const result = yield* Transactions.charge(params).pipe(Effect.provide(layer))
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request).toMatchObject({ method: "POST", path: "/v3/offlineface/transactions", retry: "unsafe" })
      const body = JSON.parse(request.body ?? "") as Record<string, unknown>
      expect(body).toEqual({
        auth_code: "face-credential",
        sub_mchid: "1900000109",
        amount: { total: 350, currency: "CNY" },
        scene_info: { device_ip: "10.0.0.8" },
        out_trade_no: result.outTradeNo,
        business: { business_product_id: 2, business_scene_id: 3 }
      })
      expect(result.outTradeNo).toMatch(/^K12\d{14}[0-9A-Z]{15}$/)
      expect(result.transaction.tradeState).toBe("SUCCESS")
      expect(result.transaction.isFinal).toBe(true)
    }))

  it.effect("keeps the caller's out_trade_no; two generated ones differ", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => Effect.succeed(paid))
      const mine = yield* Transactions.charge({ ...params, outTradeNo: "order_2024-12-01*1" }).pipe(Effect.provide(layer))
      expect(mine.outTradeNo).toBe("order_2024-12-01*1")
      expect(JSON.parse(requests[0]!.body ?? "")).toMatchObject({ out_trade_no: "order_2024-12-01*1" })
      const a = yield* Transactions.generateOutTradeNo
      const b = yield* Transactions.generateOutTradeNo
      expect(a).not.toBe(b)
      expect(a.length).toBe(32)
    }))

  it.effect("bad input is an input error naming the field, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => Effect.succeed(paid))
      const cases: ReadonlyArray<readonly [Transactions.ChargeParams, string]> = [
        [{ ...params, amount: { total: 0 } }, "amount.total"],
        [{ ...params, amount: { total: 1.5 } }, "amount.total"],
        [{ ...params, authCode: "" }, "authCode"],
        [{ ...params, outTradeNo: "no spaces allowed" }, "outTradeNo"],
        [{ ...params, outTradeNo: "abc" }, "outTradeNo"],
        [{ ...params, business: { businessProductId: 3 as 2, businessSceneId: 3 } }, "business.businessProductId"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Transactions.charge(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "charge", field })
      }
      expect(requests).toHaveLength(0)
    }))

  const unknown: ReadonlyArray<readonly [string, WechatPayError.WechatPayRequestError]> = [
    ["a timeout", transport("Timeout")],
    ["a lost connection", transport("Connection")],
    ["a 500", api(500)],
    ["a 503", api(503, "SERVICE_UNAVAILABLE")],
    ["SYSTEM_ERROR under a 4xx status", api(400, "SYSTEM_ERROR")],
    [
      "an answer that fails verification",
      new WechatPayError.WechatPayVerificationError({ ...context, status: 200, check: "BadSignature", reason: "x" })
    ],
    [
      "an answer that cannot be decoded",
      new WechatPayError.WechatPayDecodeError({ ...context, status: 200, where: "Json", issue: "x" })
    ]
  ]
  for (const [name, failure] of unknown) {
    it.effect(`${name} leaves the outcome unknown: a typed error with the out_trade_no`, () =>
      Effect.gen(function*() {
        const { layer, requests } = recording(() => Effect.fail(failure))
        const error = yield* Effect.flip(
          Transactions.charge({ ...params, outTradeNo: "K12-order-0001" }).pipe(Effect.provide(layer))
        )
        expect(error).toBeInstanceOf(WechatPayError.WechatPayOutcomeUnknownError)
        expect(error).toMatchObject({ outTradeNo: "K12-order-0001", failure: failure._tag })
        expect(error.message).toContain("K12-order-0001")
        expect(requests).toHaveLength(1)
      }))
  }

  const notCharged: ReadonlyArray<readonly [string, WechatPayError.WechatPayRequestError]> = [
    ["a 429", api(429, "FREQUENCY_LIMITED")],
    ["a refused connection", transport("Refused")],
    ["a 400 PARAM_ERROR", api(400, "PARAM_ERROR")],
    ["a 403 NO_AUTH", api(403, "NO_AUTH")]
  ]
  for (const [name, failure] of notCharged) {
    it.effect(`${name} is reported as itself: nothing was charged`, () =>
      Effect.gen(function*() {
        const { layer } = recording(() => Effect.fail(failure))
        const error = yield* Effect.flip(Transactions.charge(params).pipe(Effect.provide(layer)))
        expect(error).toBe(failure)
      }))
  }
})

describe("getTransaction and confirmTransaction", () => {
  const query = { outTradeNo: "K12-order-0001", spMchid: "1900000100", subMchid: "1900000109", businessProductId: "2" } as const

  it.effect("the query: path, query pairs in the documented order", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => Effect.succeed(paid))
      yield* Transactions.getTransaction(query).pipe(Effect.provide(layer))
      expect(requests[0]).toEqual({
        method: "GET",
        path: "/v3/offlineface/transactions/out-trade-no/K12-order-0001",
        query: [["sp_mchid", "1900000100"], ["sub_mchid", "1900000109"], ["business_product_id", "2"]]
      })
    }))

  it.effect("confirm polls through 404 and USERPAYING until a final state", () =>
    Effect.gen(function*() {
      const answers: Array<Effect.Effect<unknown, WechatPayError.WechatPayRequestError>> = [
        Effect.fail(api(404, "ORDER_NOT_EXIST")),
        Effect.succeed({ ...paid, trade_state: "USERPAYING" }),
        Effect.succeed(paid)
      ]
      const { layer, requests } = recording(() => answers.shift() ?? Effect.die("queried too often"))
      const fiber = yield* Effect.fork(Transactions.confirmTransaction(query).pipe(Effect.provide(layer)))
      yield* advance(10)
      const final = yield* Fiber.join(fiber)
      expect(final.tradeState).toBe("SUCCESS")
      expect(requests).toHaveLength(3)
    }))

  it.effect("confirm gives up after the budget with the last state seen", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => Effect.succeed({ ...paid, trade_state: "USERPAYING" }))
      const fiber = yield* Effect.fork(
        Effect.flip(Transactions.confirmTransaction(query, { within: "9 seconds" }).pipe(Effect.provide(layer)))
      )
      yield* advance(60)
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(WechatPayError.WechatPayConfirmTimeoutError)
      expect(error).toMatchObject({ outTradeNo: "K12-order-0001", found: true, lastState: "USERPAYING" })
      // Every 2 s within 9 s: the first query, then four more.
      expect(requests).toHaveLength(5)
    }))

  it.effect("a charge never found: found false", () =>
    Effect.gen(function*() {
      const { layer } = recording(() => Effect.fail(api(404, "ORDER_NOT_EXIST")))
      const fiber = yield* Effect.fork(
        Effect.flip(Transactions.confirmTransaction(query, { within: "3 seconds" }).pipe(Effect.provide(layer)))
      )
      yield* advance(10)
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "WechatPayConfirmTimeoutError", found: false })
    }))

  it("isFinal: WeChat Pay's general final states; pending and unknown states are not", () => {
    for (const state of ["SUCCESS", "REFUND", "CLOSED", "REVOKED", "PAYERROR"] as const) {
      expect(Transactions.isFinal(state)).toBe(true)
    }
    for (const state of ["USERPAYING", "NOTPAY", "ACCEPT", undefined] as const) expect(Transactions.isFinal(state)).toBe(false)
    expect(Transactions.isFinal(Schema.decodeUnknownSync(Transactions.TradeState)("SETTLING"))).toBe(false)
  })
})
