/**
 * 获取还款链接: the link with which a user repays an advance (垫资)
 * (`POST /v3/offlineface/repayment-url`). The provider checks with the user
 * offline, forwards the link by hand to the WeChat account that repays, then
 * terminates the contract so the user can sign again with another account.
 *
 * @example
 * ```ts
 * import { DateTime, Effect } from "effect"
 * import { Repayment } from "@effect-wechatpay/core"
 *
 * const link = Repayment.getRepaymentUrl({ outUserId: "student-0001", organizationId: "O1234567" }).pipe(
 *   Effect.map(({ repaymentUrl, expireAt }) => `${repaymentUrl} until ${DateTime.formatIso(expireAt)}`)
 * )
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import { field } from "../internal/fields.js"
import { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPayRequest from "../WechatPayRequest.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

const PATH = "/v3/offlineface/repayment-url"

/**
 * The request body: both fields required.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const RepaymentUrlRequest = Schema.Struct({
  /** The merchant's id of the user (`out_user_id`). */
  outUserId: field(WechatPaySchema.Id, "out_user_id"),
  /** 机构 id (`organization_id`). */
  organizationId: field(WechatPaySchema.Id, "organization_id")
})

/**
 * What `getRepaymentUrl` takes: the body's domain type.
 *
 * @since 0.2.0
 * @category Models
 */
export type RepaymentUrlParams = typeof RepaymentUrlRequest.Type

/**
 * The answer: the link and when it stops working (both required).
 *
 * @since 0.2.0
 * @category Models
 */
export class RepaymentUrl extends Schema.Class<RepaymentUrl>("RepaymentUrl")({
  /** The link to forward to the repaying WeChat account (`repayment_url`). */
  repaymentUrl: field(Schema.String, "repayment_url"),
  /** When the link stops working (`expire_at`, RFC 3339, offset kept). */
  expireAt: field(WechatPaySchema.Time, "expire_at")
}) {}

/**
 * 获取还款链接: `POST /v3/offlineface/repayment-url`. Both ids are checked
 * before anything is sent.
 *
 * Retry class: `idempotent`. Offline-face §1.5: asking for the link moves no
 * money (the repayment itself happens later, by the user, in WeChat); a retry
 * after a transient failure yields a fresh link, and a link from a lost
 * answer is never seen.
 *
 * @example
 * ```ts
 * import { DateTime, Effect } from "effect"
 * import { Repayment } from "@effect-wechatpay/core"
 *
 * const program = Repayment.getRepaymentUrl({ outUserId: "student-0001", organizationId: "O1234567" }).pipe(
 *   Effect.map((link) => `${link.repaymentUrl} (until ${DateTime.formatIso(link.expireAt)})`)
 * )
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getRepaymentUrl = (
  params: RepaymentUrlParams
): Effect.Effect<RepaymentUrl, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.gen(function*() {
    const body = yield* WechatPayRequest.jsonBody("getRepaymentUrl", RepaymentUrlRequest, params)
    const client = yield* WechatPayClient
    return yield* client.execute({ method: "POST", path: PATH, body, retry: "idempotent" }, RepaymentUrl)
  })
