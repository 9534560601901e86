/**
 * 获取 authinfo: the credential a face device's SDK needs
 * (`POST /v3/offlineface/authinfo`). Fetch a new one at least hourly: a
 * device whose authinfo expires while offline stops working.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Authinfo } from "@effect-wechatpay/core"
 *
 * const authinfo = Authinfo.getAuthinfo({
 *   spAppid: "wx8888888888888888",
 *   subMchid: "1900000109",
 *   deviceId: "DEVICE-001",
 *   rawData: "raw-data-from-the-device-sdk",
 *   organizationId: "O1234567"
 * }).pipe(Effect.map((result) => ({ authinfo: result.authinfo, seconds: result.expiresIn ?? 3600 })))
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
import { field, optionalField } from "../internal/fields.js"
import { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPayRequest from "../WechatPayRequest.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

const PATH = "/v3/offlineface/authinfo"

/**
 * The request body: domain names outside, wire names inside. Required:
 * `sp_appid`, `sub_mchid`, `device_id`, `raw_data`, `organization_id`;
 * `sub_appid` optional.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const AuthinfoRequest = Schema.Struct({
  /** 服务商 appid (`sp_appid`). */
  spAppid: field(WechatPaySchema.Id, "sp_appid"),
  /** 子商户 appid (`sub_appid`). */
  subAppid: optionalField(WechatPaySchema.Id, "sub_appid"),
  /** 子商户号 (`sub_mchid`). */
  subMchid: field(WechatPaySchema.Id, "sub_mchid"),
  /** 设备 id (`device_id`). */
  deviceId: field(WechatPaySchema.Id, "device_id"),
  /** The raw data the device SDK produced (`raw_data`), sent as is. */
  rawData: field(WechatPaySchema.Text, "raw_data"),
  /** 机构 id (`organization_id`), issued by WeChat Pay. */
  organizationId: field(WechatPaySchema.Id, "organization_id")
})

/**
 * What `getAuthinfo` takes: the body's domain type.
 *
 * @since 0.2.0
 * @category Models
 */
export type AuthinfoParams = typeof AuthinfoRequest.Type

const Seconds = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(Schema.finite(), Schema.nonNegative())
const decodeSeconds = Schema.decodeUnknownEither(Seconds)

/**
 * `expires_in`, leniently: a number of seconds (or its decimal string) is
 * kept; any other value is dropped instead of failing the answer, since the
 * reference pages do not list the field at all.
 */
const LenientSeconds = Schema.transform(Schema.Unknown, Schema.UndefinedOr(Schema.Number), {
  strict: true,
  decode: (wire) => Either.getOrUndefined(decodeSeconds(wire)),
  encode: (seconds) => seconds
})

/**
 * The answer: `authinfo`, and `expires_in` (seconds) when WeChat Pay sends
 * it. The access guide describes `expires_in` (3600 s by default) while the
 * v3 reference pages list only `authinfo`: it is optional, and a value that
 * is not a number of seconds is ignored. Renew hourly either way.
 *
 * @since 0.2.0
 * @category Models
 */
export class AuthinfoResult extends Schema.Class<AuthinfoResult>("AuthinfoResult")({
  /** The credential for the device SDK. */
  authinfo: Schema.String,
  /** Seconds the authinfo stays valid, when sent. */
  expiresIn: optionalField(LenientSeconds, "expires_in")
}) {}

/**
 * 获取 authinfo: `POST /v3/offlineface/authinfo`. Every field is checked
 * before anything is sent.
 *
 * Retry class: `idempotent`. Offline-face §1.5 classifies #3 as moving no
 * money: a retry after a transient failure (429, 5xx, a lost connection, a
 * timeout) yields a fresh authinfo, and any earlier one the lost answer
 * carried is simply never used.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Authinfo } from "@effect-wechatpay/core"
 *
 * const program = Authinfo.getAuthinfo({
 *   spAppid: "wx8888888888888888",
 *   subMchid: "1900000109",
 *   deviceId: "DEVICE-001",
 *   rawData: "raw-data-from-the-device-sdk",
 *   organizationId: "O1234567"
 * }).pipe(Effect.map((result) => result.authinfo))
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getAuthinfo = (
  params: AuthinfoParams
): Effect.Effect<AuthinfoResult, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.gen(function*() {
    const body = yield* WechatPayRequest.jsonBody("getAuthinfo", AuthinfoRequest, params)
    const client = yield* WechatPayClient
    return yield* client.execute({ method: "POST", path: PATH, body, retry: "idempotent" }, AuthinfoResult)
  })
