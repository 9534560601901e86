/**
 * 获取授权凭证: a token for the official K12 mini program or H5 page
 * (`POST /v3/offlinefacemch/tokens`). **The token is valid 5 minutes**: fetch
 * it on the last page, right before the user jumps to the mini program.
 * Not for designated-card signing, which carries the pre-sign token instead
 * (`Contracts.presignContract`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tokens } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   const { token } = yield* Tokens.createToken({
 *     scene: "WEBSESSION",
 *     webInitData: { outUserId: "student-0001", organizationId: "O1234567" }
 *   })
 *   // Hand `token` to the mini program within 5 minutes.
 *   yield* Effect.log(token.length)
 * })
 * ```
 *
 * @since 0.2.0
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import { postJson } from "../internal/endpoint.js"
import { field } from "../internal/fields.js"
import type { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

/**
 * The token request body, as sent. The reference page marks no field
 * required, but a token is always for one user of one organization in one
 * scene, and every known client sends all three: this library requires them.
 *
 * - `scene` (`scene`): e.g. `WEBSESSION`. No list of values is published, so
 *   any non-empty string is sent as given.
 * - `webInitData` (`web_init_data`): the mini program / H5 initialisation
 *   data, the merchant's user id (`out_user_id`) and the organization id
 *   (`organization_id`).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const TokenRequest = Schema.Struct({
  scene: field(WechatPaySchema.Text, "scene"),
  webInitData: field(
    Schema.Struct({
      outUserId: field(WechatPaySchema.Id, "out_user_id"),
      organizationId: field(WechatPaySchema.Id, "organization_id")
    }),
    "web_init_data"
  )
})

/**
 * @since 0.2.0
 * @category Models
 */
export type TokenParams = typeof TokenRequest.Type

/**
 * The answer: `token`, valid 5 minutes from issue. An answer without a token
 * is a decode error (it could serve no purpose).
 *
 * @since 0.2.0
 * @category Models
 */
export class Token extends Schema.Class<Token>("Token")({
  /** 授权凭证: valid 5 minutes. */
  token: field(Schema.String, "token")
}) {}

/**
 * `POST /v3/offlinefacemch/tokens`: a fresh authorization token, valid 5
 * minutes. Every field is checked before anything is sent.
 *
 * Retry class: idempotent. No money moves; a retry yields a fresh token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tokens } from "@effect-wechatpay/core"
 *
 * const token = Tokens.createToken({
 *   scene: "WEBSESSION",
 *   webInitData: { outUserId: "student-0001", organizationId: "O1234567" }
 * }).pipe(Effect.map((result) => result.token))
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const createToken = (
  params: TokenParams
): Effect.Effect<Token, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  postJson("createToken", "/v3/offlinefacemch/tokens", TokenRequest, params, Token)
