/**
 * How the CLI fails: an exit code per class of failure and ONE JSON line on
 * stderr, `{"error": tag, "code"?: WeChat Pay's code, "message": …, "requestId"?: …,
 * "outTradeNo"?: …, "hint"?: …}`.
 * No stack trace; no key, `Authorization` header or signature (the library's
 * errors never hold one).
 *
 * | exit | when |
 * | --- | --- |
 * | 0 | done |
 * | 1 | unexpected failure (a bug): `{"error":"Defect",…}` |
 * | 2 | bad input or configuration, nothing sent (`UsageError`, `JsonInputError`, `WechatPayInvalidInputError`, `WechatPayConfigError`, …) |
 * | 3 | WeChat Pay answered with an error (`WechatPayApiError`, with `code`) |
 * | 4 | a response failed verification or decoding (`WechatPayVerificationError`, `WechatPayDecodeError`) |
 * | 5 | no response: connection failures or timeouts, retries exhausted; a TLS or HTTP protocol failure, at once (`WechatPayTransportError`) |
 * | 6 | a charge's outcome is not known (`WechatPayOutcomeUnknownError`: it may have been processed; `WechatPayConfirmTimeoutError`: not final within `--within`): never charge again, run the `hint` (`transactions confirm …`) |
 * | 8 | the output could not be written (full disk, closed descriptor: `OutputError`) |
 * | 9 | an answer does not fit the request: another organization or collection than asked (`WechatPayMismatchError`), a listing that does not advance (`WechatPayPagingError`); nothing of it printed |
 * | 130 | interrupted (Ctrl-C, SIGTERM, SIGHUP) |
 * | 141 | the reader of stdout went away (`… \| head`): silent, as for SIGPIPE |
 *
 * @since 0.1.0
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { WechatPayError } from "@effect-wechatpay/core"
import { Cause, Data, Option } from "effect"

/**
 * @since 0.1.0
 * @category Exit codes
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  BadInput: 2,
  ApiError: 3,
  Verification: 4,
  Transport: 5,
  OutcomeUnknown: 6,
  OutputFailed: 8,
  AnswerMismatch: 9,
  Interrupted: 130,
  BrokenPipe: 141
} as const

/**
 * The command line is wrong: unknown option, missing value, bad number.
 *
 * @since 0.1.0
 * @category Errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/**
 * A failure with the command to run next: the report is `error`'s, plus
 * `"hint"`. For failures whose next step depends on the command line (the
 * charge's `--sp-mchid` and friends), which the library's error cannot know.
 *
 * @since 0.2.0
 * @category Errors
 */
export class Hinted<E> extends Data.TaggedError("Hinted")<{ readonly error: E; readonly hint: string }> {}

/**
 * The line written on stderr.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Report {
  readonly error: string
  readonly code?: string
  readonly message: string
  readonly requestId?: string
  /** The charge the failure is about (`WechatPayOutcomeUnknownError`, `WechatPayConfirmTimeoutError`). */
  readonly outTradeNo?: string
  /** What to run next, e.g. the `transactions confirm …` command line ({@link Hinted}). */
  readonly hint?: string
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Outcome {
  readonly exitCode: number
  /** Absent: exit without a word (interrupted, broken pipe). */
  readonly report: Report | undefined
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

/**
 * Removes terminal colour codes.
 *
 * @since 0.1.0
 * @category Utils
 */
export const stripAnsi = (text: string): string => text.replace(ANSI, "")

/**
 * @effect/cli's error text on one line: `Expected to find option: '--organization-id'`.
 *
 * @since 0.1.0
 * @category Utils
 */
export const validationMessage = (error: ValidationError.ValidationError): string =>
  stripAnsi(HelpDoc.toAnsiText(error.error)).split("\n").map((line) => line.trim()).filter((line) => line !== "")
    .join(" ")

const field = (value: unknown, name: string): string | undefined => {
  if (typeof value !== "object" || value === null || !(name in value)) return undefined
  const v: unknown = Reflect.get(value, name)
  return typeof v === "string" ? v : undefined
}

const messageOf = (error: unknown): string => {
  if (error instanceof Error && error.message !== "") return error.message
  return field(error, "message") ?? String(error)
}

const exitCodeOf: Record<string, number> = {
  UsageError: ExitCode.BadInput,
  JsonInputError: ExitCode.BadInput,
  WechatPayInvalidInputError: ExitCode.BadInput,
  WechatPayConfigError: ExitCode.BadInput,
  FaultParseError: ExitCode.BadInput,
  ListenError: ExitCode.BadInput,
  WechatPayApiError: ExitCode.ApiError,
  WechatPayVerificationError: ExitCode.Verification,
  WechatPayDecodeError: ExitCode.Verification,
  WechatPayDecryptError: ExitCode.Verification,
  WechatPayTransportError: ExitCode.Transport,
  WechatPayOutcomeUnknownError: ExitCode.OutcomeUnknown,
  WechatPayConfirmTimeoutError: ExitCode.OutcomeUnknown,
  OutputError: ExitCode.OutputFailed,
  WechatPayMismatchError: ExitCode.AnswerMismatch,
  WechatPayPagingError: ExitCode.AnswerMismatch
}

// Part of a message may come from a server: one line, no escape sequence, bounded.
const safe = (text: string, max: number): string => WechatPayError.printable(text, max)

/**
 * One expected failure → exit code and report.
 *
 * @since 0.1.0
 * @category Reporting
 */
export const fromError = (error: unknown): Outcome => {
  if (error instanceof Hinted) {
    const outcome = fromError(error.error)
    return outcome.report === undefined ? outcome : { ...outcome, report: { ...outcome.report, hint: error.hint } }
  }
  if (ValidationError.isValidationError(error)) {
    return {
      exitCode: ExitCode.BadInput,
      report: { error: "UsageError", message: `${validationMessage(error)} (see --help)` }
    }
  }
  const tag = field(error, "_tag")
  if (tag === "OutputError" && field(error, "code") === "EPIPE") {
    return { exitCode: ExitCode.BrokenPipe, report: undefined }
  }
  const apiCode = tag === "WechatPayApiError" ? field(error, "code") : undefined
  const code = apiCode === undefined ? undefined : safe(apiCode, 64)
  const rawRequestId = field(error, "requestId")
  const requestId = rawRequestId === undefined ? undefined : safe(rawRequestId, 64)
  const outTradeNo = field(error, "outTradeNo")
  const hint = tag === "WechatPayConfigError" ? " (the WECHATPAY_* variables are listed in --help)" : ""
  return {
    exitCode: (tag === undefined ? undefined : exitCodeOf[tag]) ?? ExitCode.Unexpected,
    report: {
      error: tag ?? "Error",
      ...(code === undefined ? {} : { code }),
      message: safe(messageOf(error), 1000) + hint,
      ...(requestId === undefined ? {} : { requestId }),
      ...(outTradeNo === undefined ? {} : { outTradeNo })
    }
  }
}

/**
 * Any failure of the program → exit code and report. Defects are reported as
 * `Defect` with their message only.
 *
 * @since 0.1.0
 * @category Reporting
 */
export const fromCause = (cause: Cause.Cause<unknown>): Outcome => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return fromError(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) {
    return { exitCode: ExitCode.Unexpected, report: { error: "Defect", message: safe(messageOf(defect.value), 1000) } }
  }
  return { exitCode: ExitCode.Interrupted, report: undefined }
}

/**
 * The report as the single stderr line.
 *
 * @since 0.1.0
 * @category Reporting
 */
export const formatReport = (report: Report): string => JSON.stringify(report) + "\n"
