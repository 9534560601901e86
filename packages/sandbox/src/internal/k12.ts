/**
 * The K12 product beyond face collections, with state: organizations, face
 * users and their contracts, pre-signs, charges. A route is an entry of
 * `routes`: a name (faults and the request log use it), a method, a path
 * pattern and a handler over the state.
 *
 * @internal
 */
import { constants, type KeyObject, privateDecrypt, randomBytes } from "node:crypto"
import { beijingTime } from "./text.js"

export interface Reply {
  readonly status: number
  /** `undefined`: no content (204, empty body). */
  readonly json?: unknown
}

export interface Context {
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  readonly body: string
  /** The request's `Wechatpay-Serial`. */
  readonly serial: string | undefined
  readonly now: number
}

interface Route {
  readonly name: string
  readonly method: string
  /** As WeChat Pay documents it: `{name}` is a percent-decoded parameter. */
  readonly path: string
  readonly handle: (state: State, ctx: Context) => Reply
}

export interface User {
  useId: string
  outUserId: string
  organizationId: string
  userName: string
  userType: string
  className: string | undefined
  occupation: string | undefined
  status: string
  phone: string | undefined
  faceImageOk: boolean
  contractId: string | undefined
}

export interface Contract {
  contractId: string
  useId: string
  organizationId: string
  openid: string
  contractState: "NOT_CONTRACTED" | "CONTRACTED" | "TERMINATED"
  contractSignedTime: string
  contractTerminatedTime: string | undefined
  contractMode: string
}

export interface Transaction {
  readonly outTradeNo: string
  readonly request: Record<string, unknown>
  tradeState: string
  /** USERPAYING only: queries left before it becomes SUCCESS. */
  pendingQueries: number
  readonly transactionId: string
  successTime: string | undefined
  readonly errorType: string | undefined
}

/** A pre-sign as the sandbox decrypted it: the serial it came under and the plaintext of each encrypted field. */
export interface Presign {
  readonly serial: string
  readonly decrypted: Readonly<Record<string, string>>
  readonly body: Record<string, unknown>
}

/** What the tests can read: the state the routes keep. */
export interface State {
  readonly mchid: string
  readonly organizations: Map<string, string>
  /** By `${organization_id}/${out_user_id}`. */
  readonly users: Map<string, User>
  readonly contracts: Map<string, Contract>
  readonly transactions: Map<string, Transaction>
  readonly presigns: Array<Presign>
  /** Per user update: the serial and the decrypted fields. */
  readonly updates: Array<Presign>
  /** Charges processed (a refused or duplicate charge is not one). */
  charges: number
  /** Private keys by the serial WeChat Pay publishes their public half under. */
  readonly decryptors: ReadonlyMap<string, KeyObject>
  /** Contract changes not yet notified (a signing, a termination), oldest first; the sandbox drains it. */
  readonly changes: Array<{ readonly user: User; readonly contract: Contract }>
}


/** The seeded product: one school with a Chinese name, three users, two of them contracted. */
export const makeState = (mchid: string, decryptors: ReadonlyMap<string, KeyObject>): State => {
  const state: State = {
    mchid,
    organizations: new Map([["O1234567", "某某实验小学"], ["O7654321", "第二实验中学"]]),
    users: new Map(),
    contracts: new Map(),
    transactions: new Map(),
    presigns: [],
    updates: [],
    charges: 0,
    decryptors,
    changes: []
  }
  const seed = [
    ["student-0001", "2088000000000001", "张三", "STUDENT", "三年级二班", "CONTRACTED"],
    ["student-0002", "2088000000000002", "李四", "STUDENT", "四年级一班", "CONTRACTED"],
    ["staff-0001", "2088000000000003", "王老师", "STUFF", undefined, "NOT_CONTRACTED"]
  ] as const
  seed.forEach(([outUserId, useId, userName, userType, className, contractState], i) => {
    const contractId = contractState === "CONTRACTED" ? `CI00000000000000${i + 1}` : undefined
    state.users.set(`O1234567/${outUserId}`, {
      useId,
      outUserId,
      organizationId: "O1234567",
      userName,
      userType,
      className,
      occupation: userType === "STUFF" ? "teacher" : undefined,
      status: "NORMAL",
      phone: undefined,
      faceImageOk: true,
      contractId
    })
    if (contractId !== undefined) {
      state.contracts.set(contractId, {
        contractId,
        useId,
        organizationId: "O1234567",
        openid: `openid-${useId}`,
        contractState: "CONTRACTED",
        contractSignedTime: "2024-09-01T08:00:00+08:00",
        contractTerminatedTime: undefined,
        contractMode: "LIMIT_NONE"
      })
    }
  })
  return state
}

const problem = (status: number, code: string, message: string): Reply => ({ status, json: { code, message } })
const paramError = (message: string): Reply => problem(400, "PARAM_ERROR", message)
const notFound = (message: string): Reply => problem(404, "RESOURCE_NOT_EXISTS", message)

type Json = Record<string, unknown>
const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const parseBody = (ctx: Context): Json | Reply => {
  try {
    const json: unknown = JSON.parse(ctx.body)
    return isRecord(json) ? json : paramError("the body must be a JSON object")
  } catch {
    return paramError("the body is not valid JSON")
  }
}
const isReply = (u: Json | Reply): u is Reply => "status" in u && typeof u.status === "number" && !("auth_code" in u)

const str = (o: Json | undefined, key: string): string | undefined => {
  const v = o?.[key]
  return typeof v === "string" && v !== "" ? v : undefined
}
const obj = (o: Json | undefined, key: string): Json | undefined => {
  const v = o?.[key]
  return isRecord(v) ? v : undefined
}
const required = (o: Json | undefined, keys: ReadonlyArray<string>, prefix = ""): Reply | undefined => {
  for (const key of keys) if (str(o, key) === undefined) return paramError(`${prefix}${key} is required`)
  return undefined
}

/**
 * Decrypts the encrypted fields at `paths` with the key the request's
 * `Wechatpay-Serial` names, as WeChat Pay does: a serial naming no key, or a
 * field that does not decrypt under it, refuses the request. Never echoes a
 * value.
 */
const decryptFields = (
  state: State,
  ctx: Context,
  body: Json,
  paths: ReadonlyArray<string>
): Readonly<Record<string, string>> | Reply => {
  const present = paths.filter((path) => valueAt(body, path) !== undefined)
  if (present.length === 0) return {}
  if (ctx.serial === undefined) return paramError("Wechatpay-Serial is required with encrypted fields")
  const key = state.decryptors.get(ctx.serial)
  if (key === undefined) return paramError(`Wechatpay-Serial ${ctx.serial} names no WeChat Pay key`)
  const out: Record<string, string> = {}
  for (const path of present) {
    const value = valueAt(body, path)
    if (typeof value !== "string") return paramError(`${path} must be a base64 ciphertext`)
    try {
      out[path] = privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
        Buffer.from(value, "base64")
      ).toString("utf8")
    } catch {
      return paramError(`${path} does not decrypt with the key Wechatpay-Serial ${ctx.serial} names`)
    }
  }
  return out
}

const valueAt = (body: Json, path: string): unknown =>
  path.split(".").reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), body)

const userWire = (state: State, user: User): Json => ({
  use_id: user.useId,
  out_user_id: user.outUserId,
  organization_id: user.organizationId,
  user_name: user.userName,
  user_type: user.userType,
  ...(user.className === undefined ? {} : { student_info: { class_name: user.className } }),
  ...(user.occupation === undefined ? {} : { staff_info: { occupation: user.occupation } }),
  status: user.status,
  contract_state: user.contractId === undefined
    ? "NOT_CONTRACTED"
    : (state.contracts.get(user.contractId)?.contractState ?? "NOT_CONTRACTED"),
  face_image_ok: user.faceImageOk,
  ...(user.contractId === undefined ? {} : { contract_id: user.contractId })
})

const contractWire = (state: State, c: Contract): Json => ({
  contract_id: c.contractId,
  mchid: state.mchid,
  organization_id: c.organizationId,
  use_id: c.useId,
  openid: c.openid,
  contract_state: c.contractState,
  contract_signed_time: c.contractSignedTime,
  ...(c.contractTerminatedTime === undefined ? {} : { contract_terminated_time: c.contractTerminatedTime }),
  contract_mode: c.contractMode,
  contract_bank_card_from: "USER_SELECT_FREE"
})

const transactionWire = (t: Transaction): Json => {
  const r = t.request
  return {
    sp_mchid: str(r, "sp_mchid") ?? "1900000100",
    sub_mchid: str(r, "sub_mchid") ?? "1900000109",
    ...(str(r, "sp_appid") === undefined ? {} : { sp_appid: str(r, "sp_appid") }),
    ...(str(r, "sub_appid") === undefined ? {} : { sub_appid: str(r, "sub_appid") }),
    payer: { sp_openid: "o-sandbox-payer" },
    amount: r["amount"],
    ...(obj(r, "scene_info") === undefined ? {} : { scene_info: r["scene_info"] }),
    trade_type: "AUTH",
    trade_state: t.tradeState,
    trade_state_description: t.tradeState === "SUCCESS" ? "支付成功" : t.tradeState,
    debt_state: "NOT_DEBT",
    ...(str(r, "description") === undefined ? {} : { description: str(r, "description") }),
    ...(str(r, "attach") === undefined ? {} : { attach: str(r, "attach") }),
    ...(t.successTime === undefined ? {} : { success_time: t.successTime }),
    transaction_id: t.transactionId,
    out_trade_no: t.outTradeNo,
    ...(t.errorType === undefined ? {} : { error_type: t.errorType })
  }
}

const userKey = (ctx: Context) => `${ctx.params["organization_id"]}/${ctx.params["out_user_id"]}`

const PRESIGN_ENCRYPTED = [
  "facepay_user.identification.identification_number",
  "facepay_user.phone",
  "limit_bank_card.bank_card_number",
  "limit_bank_card.identification_name",
  "limit_bank_card.identification.identification_number",
  "limit_bank_card.phone"
] as const

const withBody = (handle: (state: State, ctx: Context, body: Json) => Reply) => (state: State, ctx: Context): Reply => {
  const body = parseBody(ctx)
  return isReply(body) ? body : handle(state, ctx, body)
}

/** The route table: every endpoint of the product the sandbox serves, face collections aside. */
export const routes: ReadonlyArray<Route> = [
  {
    name: "getAuthinfo",
    method: "POST",
    path: "/v3/offlineface/authinfo",
    handle: withBody((_, __, body) =>
      required(body, ["sp_appid", "sub_mchid", "device_id", "raw_data", "organization_id"]) ??
        { status: 200, json: { authinfo: `AUTHINFO-${randomBytes(12).toString("hex")}` } }
    )
  },
  {
    name: "presignContract",
    method: "POST",
    path: "/v3/offlineface/contracts/presign",
    handle: withBody((state, ctx, body) => {
      const missing = required(body, ["business_name"]) ??
        required(obj(body, "facepay_user"), ["out_user_id", "organization_id"], "facepay_user.")
      if (missing !== undefined) return missing
      const decrypted = decryptFields(state, ctx, body, PRESIGN_ENCRYPTED)
      if ("status" in decrypted && typeof decrypted.status === "number") return decrypted as Reply
      state.presigns.push({ serial: ctx.serial ?? "", decrypted: decrypted as Record<string, string>, body })
      return { status: 200, json: { presign_token: `PT-${randomBytes(12).toString("hex")}` } }
    })
  },
  {
    name: "getContract",
    method: "GET",
    path: "/v3/offlineface/contracts/{contract_id}",
    handle: (state, ctx) => {
      const contract = state.contracts.get(ctx.params["contract_id"] ?? "")
      return contract === undefined
        ? notFound("the contract does not exist")
        : { status: 200, json: contractWire(state, contract) }
    }
  },
  {
    name: "getRepaymentUrl",
    method: "POST",
    path: "/v3/offlineface/repayment-url",
    handle: withBody((_, ctx, body) =>
      required(body, ["out_user_id", "organization_id"]) ?? {
        status: 200,
        json: {
          repayment_url: `https://sandbox.invalid/repay/${randomBytes(8).toString("hex")}`,
          expire_at: beijingTime(ctx.now + 3600_000)
        }
      }
    )
  },
  {
    name: "createTransaction",
    method: "POST",
    path: "/v3/offlineface/transactions",
    handle: withBody((state, ctx, body) => {
      const missing = required(body, ["auth_code"])
      if (missing !== undefined) return missing
      const amount = obj(body, "amount")
      const total = amount?.["total"]
      if (typeof total !== "number" || !Number.isInteger(total) || total <= 0) {
        return paramError("amount.total must be a positive integer")
      }
      if (str(amount, "currency") === undefined) return paramError("amount.currency is required")
      const business = obj(body, "business")
      if (
        business !== undefined &&
        (!Number.isInteger(business["business_product_id"]) || !Number.isInteger(business["business_scene_id"]))
      ) {
        return paramError("business.business_product_id and business_scene_id must be integers")
      }
      const outTradeNo = str(body, "out_trade_no") ?? `SANDBOX${randomBytes(10).toString("hex")}`
      if (state.transactions.has(outTradeNo)) {
        // WeChat Pay's general code for a merchant order number used twice.
        return problem(400, "OUT_TRADE_NO_USED", "out_trade_no was already used")
      }
      const authCode = str(body, "auth_code") ?? ""
      const pending = /^USERPAYING(?:_(\d+))?/.exec(authCode)
      const failed = authCode.startsWith("NOTENOUGH")
      const transaction: Transaction = {
        outTradeNo,
        request: body,
        tradeState: pending !== null ? "USERPAYING" : failed ? "PAYERROR" : "SUCCESS",
        pendingQueries: pending === null ? 0 : Number(pending[1] ?? 2),
        transactionId: `42000000${randomBytes(10).toString("hex")}`,
        successTime: pending === null && !failed ? beijingTime(ctx.now) : undefined,
        errorType: failed ? "NOT_ENOUGH" : undefined
      }
      state.transactions.set(outTradeNo, transaction)
      state.charges += 1
      return { status: 200, json: transactionWire(transaction) }
    })
  },
  {
    name: "getTransaction",
    method: "GET",
    path: "/v3/offlineface/transactions/out-trade-no/{out_trade_no}",
    handle: (state, ctx) => {
      for (const key of ["sp_mchid", "sub_mchid", "business_product_id"]) {
        if ((ctx.query.get(key) ?? "") === "") return paramError(`${key} is required`)
      }
      const t = state.transactions.get(ctx.params["out_trade_no"] ?? "")
      if (t === undefined) return problem(404, "ORDER_NOT_EXIST", "the order does not exist")
      if (t.tradeState === "USERPAYING") {
        if (t.pendingQueries <= 0) {
          t.tradeState = "SUCCESS"
          t.successTime = beijingTime(ctx.now)
        } else t.pendingQueries -= 1
      }
      return { status: 200, json: transactionWire(t) }
    }
  },
  {
    name: "getOrganization",
    method: "GET",
    path: "/v3/offlinefacemch/organizations",
    handle: (state, ctx) => {
      const id = ctx.query.get("organization_id")
      const name = ctx.query.get("organization_name")
      if ((id === null) === (name === null)) return paramError("give organization_id or organization_name")
      for (const [orgId, orgName] of state.organizations) {
        if (orgId === id || orgName === name) {
          return { status: 200, json: { organization_id: orgId, organization_name: orgName } }
        }
      }
      return notFound("the organization does not exist")
    }
  },
  {
    name: "getFaceUser",
    method: "GET",
    path: "/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}",
    handle: (state, ctx) => {
      const user = state.users.get(userKey(ctx))
      return user === undefined ? notFound("the user does not exist") : { status: 200, json: userWire(state, user) }
    }
  },
  {
    name: "updateFaceUser",
    method: "PATCH",
    path: "/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}",
    handle: withBody((state, ctx, body) => {
      const user = state.users.get(userKey(ctx))
      if (user === undefined) return notFound("the user does not exist")
      const decrypted = decryptFields(state, ctx, body, ["user_name", "phone"])
      if ("status" in decrypted && typeof decrypted.status === "number") return decrypted as Reply
      const plain = decrypted as Record<string, string>
      const type = str(body, "user_type")
      if (type !== undefined && !["STUDENT", "STUFF", "STAFF"].includes(type)) return paramError("user_type is invalid")
      const status = str(body, "status")
      if (status !== undefined && !["NORMAL", "DISABLED"].includes(status)) return paramError("status is invalid")
      if (plain["user_name"] !== undefined) user.userName = plain["user_name"]
      if (plain["phone"] !== undefined) user.phone = plain["phone"]
      if (type !== undefined) user.userType = type
      if (status !== undefined) user.status = status
      const className = str(obj(body, "student_info"), "class_name")
      if (className !== undefined) user.className = className
      const occupation = str(obj(body, "staff_info"), "occupation")
      if (occupation !== undefined) user.occupation = occupation
      state.updates.push({ serial: ctx.serial ?? "", decrypted: plain, body })
      return { status: 204 }
    })
  },
  {
    name: "terminateContract",
    method: "POST",
    path: "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
    handle: (state, ctx) => {
      if (ctx.body !== "") return paramError("the request takes no body")
      const user = [...state.users.values()].find((u) =>
        u.useId === ctx.params["user_id"] && u.organizationId === ctx.params["organization_id"]
      )
      if (user === undefined) return notFound("the user does not exist")
      const contract = user.contractId === undefined ? undefined : state.contracts.get(user.contractId)
      if (contract === undefined || contract.contractState !== "CONTRACTED") {
        return problem(400, "INVALID_REQUEST", "the user has no contract in force")
      }
      contract.contractState = "TERMINATED"
      contract.contractTerminatedTime = beijingTime(ctx.now)
      state.changes.push({ user, contract })
      return { status: 204 }
    }
  },
  {
    name: "createToken",
    method: "POST",
    path: "/v3/offlinefacemch/tokens",
    handle: withBody(() => ({ status: 200, json: { token: `TK-${randomBytes(12).toString("hex")}` } }))
  }
]

export type Match =
  | { readonly _tag: "Route"; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly _tag: "WrongMethod" }
  | { readonly _tag: "None" }

/** The route for a method and a (still percent-encoded) path. */
export const match = (method: string, path: string): Match => {
  const segments = path.split("/").slice(1)
  let wrongMethod = false
  for (const route of routes) {
    const pattern = route.path.split("/").slice(1)
    if (pattern.length !== segments.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < segments.length && ok; i++) {
      const expected = pattern[i]!
      const got = segments[i]!
      if (expected.startsWith("{")) {
        try {
          params[expected.slice(1, -1)] = decodeURIComponent(got)
        } catch {
          ok = false
        }
        ok = ok && got !== ""
      } else ok = expected === got
    }
    if (!ok) continue
    if (route.method !== method) {
      wrongMethod = true
      continue
    }
    return { _tag: "Route", route, params }
  }
  return wrongMethod ? { _tag: "WrongMethod" } : { _tag: "None" }
}

/** The appid the sandbox's contracts are signed under (the K12 mini program). */
export const SANDBOX_APPID = "wxd678efh567hg6787"

/**
 * A user signs (or signs again) in WeChat: a new contract in force. `undefined` when there is no such user;
 * a user whose contract is in force keeps it (no change).
 */
export const signContract = (
  state: State,
  organizationId: string,
  outUserId: string,
  now: number
): Contract | undefined => {
  const user = state.users.get(`${organizationId}/${outUserId}`)
  if (user === undefined) return undefined
  const current = user.contractId === undefined ? undefined : state.contracts.get(user.contractId)
  if (current !== undefined && current.contractState === "CONTRACTED") return current
  const contract: Contract = {
    contractId: `CI${randomBytes(8).toString("hex").toUpperCase()}`,
    useId: user.useId,
    organizationId,
    openid: `openid-${user.useId}`,
    contractState: "CONTRACTED",
    contractSignedTime: beijingTime(now),
    contractTerminatedTime: undefined,
    contractMode: "LIMIT_NONE"
  }
  state.contracts.set(contract.contractId, contract)
  user.contractId = contract.contractId
  state.changes.push({ user, contract })
  return contract
}

/** The decrypted resource of the `FACEPAY.USER_STATE_CHANGE` WeChat Pay sends for `change`. */
export const userStateChange = (
  state: State,
  change: { readonly user: User; readonly contract: Contract },
  now: number
): Record<string, unknown> => ({
  user_id: change.user.useId,
  out_user_id: change.user.outUserId,
  organization_id: change.user.organizationId,
  mch_id: state.mchid,
  notify_create_time: beijingTime(now),
  appid: SANDBOX_APPID,
  openid: change.contract.openid,
  contract_id: change.contract.contractId
})
