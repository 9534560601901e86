/**
 * Face users (刷脸用户) of an organization: querying one by the merchant's
 * `out_user_id`, updating it (`user_name` and `phone` encrypted; WeChat Pay
 * answers 204), and terminating its contract (解约, by the WeChat face user
 * id; 204).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { FaceUsers } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   yield* FaceUsers.updateFaceUser({
 *     organizationId: "O1234567",
 *     outUserId: "student-0001",
 *     userName: Redacted.make("张三"),
 *     phone: Redacted.make("13800138000"),
 *     studentInfo: { className: "三年级二班" }
 *   })
 *   const user = yield* FaceUsers.getFaceUser({ organizationId: "O1234567", outUserId: "student-0001" })
 *   if (user.userId !== undefined && user.contractState === "CONTRACTED") {
 *     yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: user.userId })
 *   }
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import { field, optionalField } from "../internal/fields.js"
import { ContractState } from "../offlineface/Contracts.js"
import * as SensitiveFields from "../SensitiveFields.js"
import { WechatPayClient } from "../WechatPayClient.js"
import {
  type WechatPayConfigError,
  WechatPayInvalidInputError,
  type WechatPayRequestError
} from "../WechatPayError.js"
import * as WechatPayRequest from "../WechatPayRequest.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

/**
 * `user_type`, as answered. The reference pages spell the staff value
 * `STUFF`, a production SDK `STAFF` (offlineface-product.md §1.3): both
 * decode, and any other value is kept (branded unknown).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UserType = WechatPaySchema.OpenEnum("UserType", ["STUDENT", "STUFF", "STAFF"])

/**
 * @since 0.2.0
 * @category Models
 */
export type UserType = typeof UserType.Type

/**
 * `user_type`, as sent in an update: `STUDENT`, or staff spelled `STUFF`
 * (the reference pages) or `STAFF` (a production SDK). The sources disagree
 * and no live answer settles it, so the caller picks the spelling; the
 * library sends what it is given and has no default.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const SentUserType = WechatPaySchema.ClosedEnum(["STUDENT", "STUFF", "STAFF"])

/**
 * `status`, as answered: `DISABLED` blocks payments. Other values are kept.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UserStatus = WechatPaySchema.OpenEnum("UserStatus", ["NORMAL", "DISABLED"])

/**
 * @since 0.2.0
 * @category Models
 */
export type UserStatus = typeof UserStatus.Type

/**
 * `status`, as sent in an update.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const SentUserStatus = WechatPaySchema.ClosedEnum(["NORMAL", "DISABLED"])

/**
 * A face user, as WeChat Pay answers it. The sources mark nothing required,
 * so every field is optional; unknown fields are ignored.
 *
 * - `userId` is the WeChat face user id, the one `terminateContract` takes.
 *   The reference pages call it `use_id`, a production SDK and the
 *   notification `user_id` (§1.3): either decodes into `userId` (`use_id`
 *   wins when both are present).
 * - `userName` is returned exactly as sent. A third-party SDK decrypts it with
 *   the merchant private key, which suggests WeChat Pay may answer it
 *   encrypted (base64 RSA-OAEP); the reference pages do not say so, and this
 *   library does not decrypt it.
 *
 * @since 0.2.0
 * @category Models
 */
export class FaceUser extends Schema.Class<FaceUser>("FaceUser")({
  /** The WeChat face user id (`use_id` or `user_id`). */
  userId: optionalField(Schema.String, "use_id"),
  /** The merchant's own id for the user. */
  outUserId: optionalField(Schema.String, "out_user_id"),
  organizationId: optionalField(Schema.String, "organization_id"),
  /** As sent: possibly ciphertext (see above). */
  userName: optionalField(Schema.String, "user_name"),
  userType: optionalField(UserType, "user_type"),
  studentInfo: optionalField(Schema.Struct({ className: optionalField(Schema.String, "class_name") }), "student_info"),
  staffInfo: optionalField(Schema.Struct({ occupation: Schema.optional(Schema.String) }), "staff_info"),
  status: Schema.optional(UserStatus),
  /** `NOT_CONTRACTED`, `TERMINATED`, `CONTRACTED`, or a value kept as sent. */
  contractState: optionalField(ContractState, "contract_state"),
  /** Whether the face photo is usable. */
  faceImageOk: optionalField(Schema.Boolean, "face_image_ok"),
  contractId: optionalField(Schema.String, "contract_id")
}) {}

const FaceUserAnswer = WechatPaySchema.withAlias(FaceUser, { user_id: "use_id" })

/**
 * A face user by the merchant's id, within its organization.
 *
 * @since 0.2.0
 * @category Models
 */
export interface FaceUserKey {
  readonly organizationId: string
  /** The merchant's own id for the user (`out_user_id`). */
  readonly outUserId: string
}

const userPath = (operation: string, key: FaceUserKey) =>
  WechatPayRequest.path(operation, [
    "v3",
    "offlinefacemch",
    "organizations",
    WechatPayRequest.segment("organizationId", key.organizationId),
    "users",
    "out-user-id",
    WechatPayRequest.segment("outUserId", key.outUserId)
  ])

/**
 * 查询刷脸用户信息: `GET
 * /v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}`.
 * Both path values are checked and percent-encoded before anything is sent.
 *
 * Retry class: idempotent (a query): retried on 429, 5xx and transport
 * errors under the `RetryPolicy`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FaceUsers } from "@effect-wechatpay/core"
 *
 * const contractState = FaceUsers.getFaceUser({ organizationId: "O1234567", outUserId: "student-0001" }).pipe(
 *   Effect.map((user) => user.contractState)
 * )
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getFaceUser = (
  params: FaceUserKey
): Effect.Effect<FaceUser, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.flatMap(
    userPath("getFaceUser", params),
    (path) => Effect.flatMap(WechatPayClient, (client) => client.execute({ method: "GET", path }, FaceUserAnswer))
  )

type Sensitive = typeof SensitiveFields.Encrypted | typeof SensitiveFields.Plaintext

// One definition, two wire forms: encrypted (sent) and plaintext (input files).
const updateFields = <S extends Sensitive>(sensitive: S) => ({
  /** 🔒 `user_name`. */
  userName: optionalField(sensitive, "user_name"),
  /** `user_type`: the caller picks the staff spelling (`SentUserType`). */
  userType: optionalField(SentUserType, "user_type"),
  /** `student_info`: when given, `className` is required (an empty object would change nothing). */
  studentInfo: optionalField(Schema.Struct({ className: field(WechatPaySchema.Text, "class_name") }), "student_info"),
  /** `staff_info`: when given, `occupation` is required. */
  staffInfo: optionalField(Schema.Struct({ occupation: field(WechatPaySchema.Text, "occupation") }), "staff_info"),
  status: optionalField(SentUserStatus, "status"),
  /** 🔒 `phone`. */
  phone: optionalField(sensitive, "phone")
})

/**
 * The update body as sent: every field optional (at least one given),
 * `user_name` and `phone` encrypted (`SensitiveFields.Encrypted`).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UpdateFaceUserRequest = Schema.Struct(updateFields(SensitiveFields.Encrypted))

/**
 * The same body with `user_name` and `phone` in plaintext on the wire side
 * (`SensitiveFields.Plaintext`): decodes an input file written in WeChat
 * Pay's field names to the changes `updateFaceUser` takes.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UpdateFaceUserInput = Schema.Struct(updateFields(SensitiveFields.Plaintext))

/**
 * The user, and the changes (`UpdateFaceUserRequest`'s type).
 *
 * @since 0.2.0
 * @category Models
 */
export type UpdateFaceUserParams = FaceUserKey & typeof UpdateFaceUserRequest.Type

/**
 * 修改刷脸用户信息: `PATCH
 * /v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}`;
 * WeChat Pay answers 204. Keep name, class and phone in sync, or the
 * assistant shows stale data and the phone check at face payment fails.
 *
 * `userName` and `phone` (plaintext as `Redacted`) are encrypted under the
 * WeChat Pay public key, or the newest valid platform certificate, and
 * `Wechatpay-Serial` names that key (sent on every update, as the endpoint
 * requires it). An update without any field is an input error (nothing to
 * update), and nothing is sent.
 *
 * Retry class: idempotent. It sets state: sending the same body again is
 * harmless.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { FaceUsers } from "@effect-wechatpay/core"
 *
 * const update = FaceUsers.updateFaceUser({
 *   organizationId: "O1234567",
 *   outUserId: "staff-0001",
 *   userName: Redacted.make("李四"),
 *   userType: "STAFF",
 *   staffInfo: { occupation: "厨师" },
 *   phone: Redacted.make("13800138000")
 * })
 * const disable = FaceUsers.updateFaceUser({ organizationId: "O1234567", outUserId: "student-0001", status: "DISABLED" })
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const updateFaceUser = (
  params: UpdateFaceUserParams
): Effect.Effect<
  void,
  WechatPayInvalidInputError | WechatPayConfigError | WechatPayRequestError,
  WechatPayClient | SensitiveFields.SensitiveFields
> =>
  Effect.gen(function*() {
    const { organizationId, outUserId, ...changes } = params
    const path = yield* userPath("updateFaceUser", { organizationId, outUserId })
    if (Object.values(changes).every((value) => value === undefined)) {
      return yield* new WechatPayInvalidInputError({
        operation: "updateFaceUser",
        field: "input",
        issue: "nothing to update: give at least one of userName, userType, studentInfo, staffInfo, status, phone"
      })
    }
    const { body, serial } = yield* SensitiveFields.encodeBody("updateFaceUser", UpdateFaceUserRequest, changes)
    const client = yield* WechatPayClient
    return yield* client.executeNoContent({ method: "PATCH", path, body, headers: { "Wechatpay-Serial": serial } })
  })

/**
 * @since 0.2.0
 * @category Models
 */
export interface TerminateContractParams {
  readonly organizationId: string
  /**
   * The WeChat face user id: `FaceUser.userId` (`use_id`/`user_id` of
   * `getFaceUser`) or the `user_id` of a `FACEPAY.USER_STATE_CHANGE`
   * notification. Not the merchant's `out_user_id`.
   */
  readonly userId: string
}

/**
 * 解除刷脸用户签约关系: `POST
 * /v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract`,
 * with no body (an empty body is signed); WeChat Pay answers 204. WeChat Pay
 * then sends a `FACEPAY.USER_STATE_CHANGE` notification.
 *
 * Retry class: idempotent in effect: a contract terminated twice stays
 * terminated. A resend after a lost answer may meet an error because the
 * contract is already terminated (undocumented); after a transport error or
 * such an error, confirm with `getFaceUser`'s `contractState`
 * (`TERMINATED`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FaceUsers } from "@effect-wechatpay/core"
 *
 * const key = { organizationId: "O1234567", outUserId: "student-0001" }
 * const terminate = Effect.gen(function*() {
 *   const user = yield* FaceUsers.getFaceUser(key)
 *   if (user.userId === undefined) return false
 *   yield* FaceUsers.terminateContract({ organizationId: key.organizationId, userId: user.userId }).pipe(
 *     // Whatever the outcome, the user's state says whether it took effect.
 *     Effect.catchTag("WechatPayTransportError", () => Effect.void)
 *   )
 *   const after = yield* FaceUsers.getFaceUser(key)
 *   return after.contractState === "TERMINATED"
 * })
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const terminateContract = (
  params: TerminateContractParams
): Effect.Effect<void, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.flatMap(
    WechatPayRequest.path("terminateContract", [
      "v3",
      "offlinefacemch",
      "organizations",
      WechatPayRequest.segment("organizationId", params.organizationId),
      "users",
      "user-id",
      WechatPayRequest.segment("userId", params.userId),
      "terminate-contract"
    ]),
    (path) => Effect.flatMap(WechatPayClient, (client) => client.executeNoContent({ method: "POST", path }))
  )
