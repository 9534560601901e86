/**
 * 获取授权凭证: a token for the official K12 mini program or H5 page
 * (`POST /v3/offlinefacemch/tokens`). It is valid 5 minutes: fetch it on the
 * last page before the user jumps to the mini program. Not for
 * designated-card signing, which carries the pre-sign token instead
 * (`Contracts.presignContract`).
 *
 * @example
 * ```ts
 * import { Tokens } from "@effect-wechatpay/core"
 *
 * const token = Tokens.createToken({
 *   scene: "WEBSESSION",
 *   webInitData: { outUserId: "student-0001", organizationId: "O1234567" }
 * })
 * ```
 *
 * @since 0.2.0
 */
import { type Effect, Schema } from "effect"
import { postJson } from "../internal/endpoint.js"
import { field, optionalField } from "../internal/fields.js"
import type { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

/**
 * @since 0.2.0
 * @category Schemas
 */
export const TokenRequest = Schema.Struct({
  /** e.g. `WEBSESSION`; no list of values is published, so any non-empty value is sent. */
  scene: optionalField(WechatPaySchema.Text, "scene"),
  webInitData: optionalField(
    Schema.Struct({
      outUserId: optionalField(WechatPaySchema.Id, "out_user_id"),
      organizationId: optionalField(WechatPaySchema.Id, "organization_id")
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
 * @since 0.2.0
 * @category Models
 */
export class Token extends Schema.Class<Token>("Token")({
  token: field(Schema.String, "token")
}) {}

/**
 * `POST /v3/offlinefacemch/tokens`.
 *
 * Retry class: idempotent. No money moves; a retry yields a fresh token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tokens } from "@effect-wechatpay/core"
 *
 * const program = Tokens.createToken({
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
