/**
 * Face users (刷脸用户) of an organization, by the merchant's `out_user_id`:
 * query, update (name and phone encrypted; 204), and terminating a user's
 * contract (204).
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
 *   if (user.userId !== undefined) {
 *     yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: user.userId })
 *   }
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
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
 * `user_type`. The reference pages spell the staff value `STUFF`, a
 * production SDK `STAFF` (offlineface-product.md §1.3): both decode.
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
 * `status`: `DISABLED` blocks payments.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UserStatus = WechatPaySchema.OpenEnum("UserStatus", ["NORMAL", "DISABLED"])

/**
 * A face user. Nothing is required in the answer. `userName` is returned as
 * sent (a third-party SDK suggests it may come back encrypted; the reference
 * pages do not say so). The user id is `use_id` or `user_id`, decoded into
 * `userId`.
 *
 * @since 0.2.0
 * @category Models
 */
export class FaceUser extends Schema.Class<FaceUser>("FaceUser")({
  /** The WeChat face user id: the one `terminateContract` takes. */
  userId: optionalField(Schema.String, "use_id"),
  outUserId: optionalField(Schema.String, "out_user_id"),
  organizationId: optionalField(Schema.String, "organization_id"),
  userName: optionalField(Schema.String, "user_name"),
  userType: optionalField(UserType, "user_type"),
  studentInfo: optionalField(Schema.Struct({ className: optionalField(Schema.String, "class_name") }), "student_info"),
  staffInfo: optionalField(Schema.Struct({ occupation: Schema.optional(Schema.String) }), "staff_info"),
  status: Schema.optional(UserStatus),
  contractState: optionalField(ContractState, "contract_state"),
  faceImageOk: optionalField(Schema.Boolean, "face_image_ok"),
  contractId: optionalField(Schema.String, "contract_id")
}) {}

const FaceUserAnswer = WechatPaySchema.withAlias(FaceUser, { user_id: "use_id" })

/**
 * @since 0.2.0
 * @category Models
 */
export interface FaceUserKey {
  readonly organizationId: string
  /** The merchant's own id for the user. */
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
 *
 * Retry class: idempotent (a query).
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
  Effect.flatMap(userPath("getFaceUser", params), (path) =>
    Effect.flatMap(WechatPayClient, (client) => client.execute({ method: "GET", path }, FaceUserAnswer)))

type Sensitive = typeof SensitiveFields.Encrypted | typeof SensitiveFields.Plaintext

// One definition, two wire forms: encrypted (sent) and plaintext (input files).
const updateFields = <S extends Sensitive>(sensitive: S) => ({
  /** 🔒 */
  userName: optionalField(sensitive, "user_name"),
  /** `STUDENT`, or staff as `STUFF` (reference pages) or `STAFF` (a production SDK): the caller picks. */
  userType: optionalField(WechatPaySchema.ClosedEnum(["STUDENT", "STUFF", "STAFF"]), "user_type"),
  studentInfo: optionalField(
    Schema.Struct({ className: field(WechatPaySchema.Text, "class_name") }),
    "student_info"
  ),
  staffInfo: optionalField(Schema.Struct({ occupation: field(WechatPaySchema.Text, "occupation") }), "staff_info"),
  status: optionalField(WechatPaySchema.ClosedEnum(["NORMAL", "DISABLED"]), "status"),
  /** 🔒 */
  phone: optionalField(sensitive, "phone")
})

/**
 * The update body as sent: `user_name` and `phone` encrypted.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UpdateFaceUserRequest = Schema.Struct(updateFields(SensitiveFields.Encrypted))

/**
 * The same body with `user_name` and `phone` in plaintext on the wire side:
 * decodes an input file in WeChat Pay's field names.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const UpdateFaceUserInput = Schema.Struct(updateFields(SensitiveFields.Plaintext))

/**
 * @since 0.2.0
 * @category Models
 */
export type UpdateFaceUserParams = FaceUserKey & typeof UpdateFaceUserRequest.Type

/**
 * 修改刷脸用户信息: `PATCH` the same path as `getFaceUser`; WeChat Pay answers
 * 204. Keep name, class and phone in sync, or the assistant shows stale data
 * and the phone check at payment fails. An update without any field is an
 * input error.
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
 *   outUserId: "student-0001",
 *   userName: Redacted.make("张三"),
 *   phone: Redacted.make("13800138000")
 * })
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
  /** The WeChat face user id (`FaceUser.userId`, or the notification's `user_id`), not `out_user_id`. */
  readonly userId: string
}

/**
 * 解约: `POST
 * /v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract`,
 * with no body; WeChat Pay answers 204.
 *
 * Retry class: idempotent in effect: a contract terminated twice stays
 * terminated. A resend after a lost answer may meet an error because the
 * contract is already terminated; when in doubt, confirm with
 * `getFaceUser`'s `contractState`.
 *
 * @example
 * ```ts
 * import { FaceUsers } from "@effect-wechatpay/core"
 *
 * const terminate = FaceUsers.terminateContract({ organizationId: "O1234567", userId: "2088000000000001" })
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const terminateContract = (
  params: TerminateContractParams
): Effect.Effect<void, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Either.match(
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
    {
      onLeft: (error) => Effect.fail(error),
      onRight: (path) => Effect.flatMap(WechatPayClient, (client) => client.executeNoContent({ method: "POST", path }))
    }
  )
