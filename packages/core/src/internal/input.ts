/**
 * Input errors from Schema parse errors, without the rejected value: an input
 * may be an ID number or a phone, and the error may be logged.
 *
 * @internal
 */
import { ParseResult } from "effect"
import { WechatPayInvalidInputError } from "../WechatPayError.js"

// Schema's default messages end in ", actual <value>": the value is dropped.
const withoutValue = (message: string): string => message.replace(/,? actual [\s\S]*$/, "")

/** The first issue of `error`, as an input error naming its field (the issue's path, or `field`). */
export const invalid = (
  operation: string,
  error: ParseResult.ParseError,
  field?: string
): WechatPayInvalidInputError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = issue?.path.map(String).join(".") ?? ""
  return new WechatPayInvalidInputError({
    operation,
    field: field === undefined ? (path === "" ? "input" : path) : path === "" ? field : `${field}.${path}`,
    issue: issue === undefined ? "invalid" : withoutValue(issue.message)
  })
}
