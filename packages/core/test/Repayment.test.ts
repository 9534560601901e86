/**
 * Repayment: the request as sent (wire names, retry idempotent), the answer
 * with its expiry as a zoned DateTime, and bad input refused by name before
 * anything is sent.
 */
import { Repayment, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { recording } from "./recording.js"


const answer = {
  repayment_url: "https://pay.weixin.qq.com/repayment?token=abc",
  expire_at: "2024-12-01T10:00:00+08:00"
}

describe("getRepaymentUrl", () => {
  it.effect("POSTs out_user_id and organization_id, retry idempotent; decodes the link and its expiry", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(answer)
      const link = yield* Repayment.getRepaymentUrl({ outUserId: "student-0001", organizationId: "O1234567" }).pipe(
        Effect.provide(layer)
      )
      expect(link).toBeInstanceOf(Repayment.RepaymentUrl)
      expect(link.repaymentUrl).toBe("https://pay.weixin.qq.com/repayment?token=abc")
      expect(DateTime.isZoned(link.expireAt)).toBe(true)
      expect(DateTime.zonedOffset(link.expireAt)).toBe(8 * 3_600_000)
      expect(DateTime.toEpochMillis(link.expireAt)).toBe(Date.parse("2024-12-01T02:00:00Z"))
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request.method).toBe("POST")
      expect(request.path).toBe("/v3/offlineface/repayment-url")
      expect(request.query).toBeUndefined()
      expect(request.headers).toBeUndefined()
      expect(request.retry).toBe("idempotent")
      expect(request.body).toBe(JSON.stringify({ out_user_id: "student-0001", organization_id: "O1234567" }))
      // And back to the wire, as sent.
      expect(Schema.encodeSync(Repayment.RepaymentUrl)(link)).toEqual(answer)
    }))

  it("refuses an answer without expire_at, or with a time that is not RFC 3339", () => {
    const decode = Schema.decodeUnknownSync(Repayment.RepaymentUrl)
    expect(() => decode({ repayment_url: answer.repayment_url })).toThrow(/expire_at/)
    expect(() => decode({ ...answer, expire_at: "2024-12-01 10:00:00" })).toThrow(/expire_at/)
    expect(() => decode({ expire_at: answer.expire_at })).toThrow(/repayment_url/)
  })

  it.effect("bad or missing input is an input error naming the field, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(answer)
      const missing: Repayment.RepaymentUrlParams = { outUserId: "s1", organizationId: "O1" }
      Reflect.deleteProperty(missing, "organizationId")
      const cases: ReadonlyArray<readonly [Repayment.RepaymentUrlParams, string]> = [
        [missing, "organizationId"],
        [{ outUserId: "", organizationId: "O1" }, "outUserId"],
        [{ outUserId: "student 1", organizationId: "O1" }, "outUserId"],
        [{ outUserId: "s1", organizationId: "O".repeat(129) }, "organizationId"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Repayment.getRepaymentUrl(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "getRepaymentUrl", field })
      }
      expect(requests).toHaveLength(0)
    }))
})
