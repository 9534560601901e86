/**
 * Runs one contender under `node --cpu-prof` against the sandbox (in its own
 * process, so it is not in the profile), keeps the samples taken during the
 * listing only (setup and module loading cut off), and prints self time by
 * function and by module as markdown.
 *
 *   node bench/dist/profile.js [contender=effect-node] [organization=org-10k] [limit=50]
 *
 * The `.cpuprofile` is kept in bench/profiles/ (open it in Chrome DevTools),
 * with the listing's marks next to it; `node bench/dist/profile.js --summarise
 * FILE.cpuprofile MARKS.json TITLE` prints the tables again from those two.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type ContenderName, contenderNames, type OrganizationId, organizations, type Task } from "./common.js"
import type { Marks } from "./contender-process.js"
import { startSandbox } from "./harness.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const benchDir = new URL("..", import.meta.url).pathname

/** A short module name: the package (and file) for node_modules, the workspace package, or Node's own. */
export const moduleOf = (url: string): string => {
  if (url === "") return "(V8 / native)"
  if (url.startsWith("node:")) return `node: ${url.slice(5)}`
  const path = url.replace(/^file:\/\//, "")
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path)
  if (pnpm !== null) return `${pnpm[1]} ${pnpm[2]!.replace(/^dist\/(esm|cjs)\//, "").replace(/^dist\//, "")}`
  const workspace = /\/packages\/([^/]+)\/dist\/(.*)$/.exec(path)
  if (workspace !== null) return `@effect-wechatpay/${workspace[1]} ${workspace[2]}`
  const bench = /\/bench\/dist\/(.*)$/.exec(path)
  if (bench !== null) return `bench ${bench[1]}`
  return path
}

const packageOf = (module: string): string =>
  module.startsWith("(") ? module : module.startsWith("node: ") ? "node: (Node's own JavaScript)" : module.split(" ")[0] ?? module

export const categories = [
  "waiting for the sandbox (idle)",
  "RSA sign (node:crypto / WebCrypto)",
  "RSA verify",
  "JSON.parse",
  "decode: Schema, DateTime, FaceCollection model",
  "garbage collection",
  "HTTP: undici / fetch, sockets, Node streams",
  "HTTP: @effect/platform client",
  "Effect runtime: fibers, scheduler, FiberRefs, streams, spans",
  "this library's own code",
  "Node timers, promises, task queues",
  "other"
] as const
export type Category = (typeof categories)[number]

/** Where a function's self time belongs, for the summary by category. */
export const categoryOf = (functionName: string, module: string): Category => {
  if (functionName === "(idle)") return "waiting for the sandbox (idle)"
  if (functionName === "(garbage collector)") return "garbage collection"
  if (functionName === "parse" && module === "(V8 / native)") return "JSON.parse"
  // core's `parseJson` (WechatPayClient.ts), a try/catch around `JSON.parse`: V8 charges the parse to it.
  if (functionName === "parseJson" && module === "@effect-wechatpay/core WechatPayClient.js") return "JSON.parse"
  if (/^(signOneShot|Sign|sign)$/.test(functionName) || module === "node: internal/crypto/webcrypto" || module === "node: internal/crypto/rsa") {
    return "RSA sign (node:crypto / WebCrypto)"
  }
  if (/^(verifyOneShot|Verify|verify)$/.test(functionName)) return "RSA verify"
  if (/^effect (Schema|ParseResult|SchemaAST|DateTime|internal\/dateTime|internal\/schema)/.test(module) || /FaceCollection\.js$/.test(module)) {
    return "decode: Schema, DateTime, FaceCollection model"
  }
  if (module.startsWith("undici ") || module.startsWith("wasm://") || /^node: (net|http|_http|internal\/deps\/undici|internal\/streams|internal\/stream_base_commons|internal\/webstreams|internal\/abort_controller|internal\/event_target|events|stream|internal\/http)/.test(module) || functionName === "writeLatin1String" || functionName === "writeUtf8String" || functionName === "writev") {
    return "HTTP: undici / fetch, sockets, Node streams"
  }
  if (module.startsWith("@effect/platform")) return "HTTP: @effect/platform client"
  if (module.startsWith("effect ")) return "Effect runtime: fibers, scheduler, FiberRefs, streams, spans"
  if (module.startsWith("@effect-wechatpay/") || module.startsWith("bench contenders/")) {
    return "this library's own code"
  }
  if (/^node: (internal\/timers|timers|internal\/process\/task_queues|internal\/process\/promises|internal\/async_hooks|internal\/priority_queue)/.test(module) || functionName === "runMicrotasks") {
    return "Node timers, promises, task queues"
  }
  return "other"
}

export interface Summary {
  readonly totalMs: number
  readonly byCategory: ReadonlyArray<{ readonly name: Category; readonly ms: number }>
  readonly byFunction: ReadonlyArray<{ readonly name: string; readonly where: string; readonly ms: number }>
  readonly byModule: ReadonlyArray<{ readonly name: string; readonly ms: number }>
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly ms: number }>
}

export const summarise = (profile: CpuProfile, marks: Marks | undefined): Summary => {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let t = profile.startTime
  let totalUs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    t += delta
    const next = profile.timeDeltas[i + 1] ?? 0
    if (marks !== undefined && (t < marks.startUs || t > marks.endUs)) continue
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + next)
    totalUs += next
  }
  const fn = new Map<string, { name: string; where: string; us: number }>()
  const mod = new Map<string, number>()
  const pkg = new Map<string, number>()
  const cat = new Map<Category, number>()
  for (const [id, us] of self) {
    const frame = nodes.get(id)!.callFrame
    const module = moduleOf(frame.url)
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName
    const where = frame.url === "" ? module : `${module}:${frame.lineNumber + 1}`
    const key = `${name}@${where}`
    const entry = fn.get(key) ?? { name, where, us: 0 }
    entry.us += us
    fn.set(key, entry)
    mod.set(module, (mod.get(module) ?? 0) + us)
    pkg.set(packageOf(module), (pkg.get(packageOf(module)) ?? 0) + us)
    const category = categoryOf(name, module)
    cat.set(category, (cat.get(category) ?? 0) + us)
  }
  const sorted = <A extends { us: number }>(xs: Iterable<A>) => [...xs].sort((a, b) => b.us - a.us)
  return {
    totalMs: totalUs / 1000,
    byCategory: categories.map((name) => ({ name, ms: (cat.get(name) ?? 0) / 1000 })),
    byFunction: sorted(fn.values()).map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000 })),
    byModule: sorted([...mod].map(([name, us]) => ({ name, us }))).map((e) => ({ name: e.name, ms: e.us / 1000 })),
    byPackage: sorted([...pkg].map(([name, us]) => ({ name, us }))).map((e) => ({ name: e.name, ms: e.us / 1000 }))
  }
}

export const markdown = (title: string, summary: Summary, top = 15): string => {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1)} %`
  const ms = (x: number) => x.toFixed(1)
  return [
    `### ${title}`,
    "",
    `${ms(summary.totalMs)} ms of samples during the listing (idle time, when the process waits for the sandbox, shows as \`(idle)\`).`,
    "",
    "Self time by category:",
    "",
    "| category | self ms | share |",
    "| --- | ---: | ---: |",
    ...summary.byCategory.map((c) => `| ${c.name} | ${ms(c.ms)} | ${pct(c.ms)} |`),
    "",
    `Self time by function (top ${top}):`,
    "",
    "| # | function | where | self ms | share |",
    "| ---: | --- | --- | ---: | ---: |",
    ...summary.byFunction.slice(0, top).map((f, i) => `| ${i + 1} | \`${f.name}\` | ${f.where} | ${ms(f.ms)} | ${pct(f.ms)} |`),
    "",
    `Self time by module (top ${top}):`,
    "",
    "| # | module | self ms | share |",
    "| ---: | --- | ---: | ---: |",
    ...summary.byModule.slice(0, top).map((m, i) => `| ${i + 1} | ${m.name} | ${ms(m.ms)} | ${pct(m.ms)} |`),
    "",
    "Self time by package:",
    "",
    "| package | self ms | share |",
    "| --- | ---: | ---: |",
    ...summary.byPackage.slice(0, 12).map((m) => `| ${m.name} | ${ms(m.ms)} | ${pct(m.ms)} |`),
    ""
  ].join("\n")
}

/** `profile.js --summarise FILE.cpuprofile MARKS.json TITLE`: the tables again, from a kept profile. */
const summariseFile = (file: string, marksFile: string, title: string) => {
  const profile = JSON.parse(Fs.readFileSync(file, "utf8")) as CpuProfile
  const marks = JSON.parse(Fs.readFileSync(marksFile, "utf8")) as Marks
  process.stdout.write(markdown(title, summarise(profile, marks)) + "\n")
}

const main = async () => {
  if (process.argv[2] === "--summarise") {
    summariseFile(process.argv[3]!, process.argv[4]!, process.argv[5] ?? "profile")
    return
  }
  const contender = (process.argv[2] ?? "effect-node") as ContenderName
  const org = (process.argv[3] ?? "org-10k") as OrganizationId
  const limit = Number(process.argv[4] ?? 50)
  if (!contenderNames.includes(contender) || !(org in organizations)) throw new Error("usage: profile.js contender org limit")
  const dir = Path.join(benchDir, "profiles")
  Fs.mkdirSync(dir, { recursive: true })
  const sandbox = await startSandbox()
  try {
    const task: Task = { contender, sandbox: sandbox.info, organizationId: org, limit }
    // Warm the sandbox first, as the benchmark does.
    const taskFile = Path.join(dir, "task.json")
    const marksFile = Path.join(dir, `marks-${contender}-${org}-${limit}.json`)
    Fs.writeFileSync(taskFile, JSON.stringify({ ...task, contender: "floor" }))
    ChildProcess.execFileSync(process.execPath, [new URL("./contender-process.js", import.meta.url).pathname, taskFile])
    Fs.writeFileSync(taskFile, JSON.stringify(task))
    const name = `${contender}-${org}-${limit}.cpuprofile`
    for (const f of Fs.readdirSync(dir)) if (f.startsWith("CPU.")) Fs.rmSync(Path.join(dir, f))
    const output = ChildProcess.execFileSync(process.execPath, [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      "--cpu-prof-interval=100",
      new URL("./contender-process.js", import.meta.url).pathname,
      taskFile,
      marksFile
    ], { encoding: "utf8" })
    const produced = Fs.readdirSync(dir).find((f) => f.startsWith("CPU.") && f.endsWith(".cpuprofile"))
    if (produced === undefined) throw new Error("no profile written")
    Fs.renameSync(Path.join(dir, produced), Path.join(dir, name))
    const profile = JSON.parse(Fs.readFileSync(Path.join(dir, name), "utf8")) as CpuProfile
    const marks = JSON.parse(Fs.readFileSync(marksFile, "utf8")) as Marks
    if (marks.startUs < profile.startTime || marks.endUs > profile.endTime) {
      throw new Error("the listing's marks fall outside the profile: clocks differ")
    }
    const summary = summarise(profile, marks)
    process.stdout.write(
      markdown(`${contender}, ${organizations[org].toLocaleString("en-US")} items, limit ${limit} (outcome ${output.trim()})`, summary) +
        "\n"
    )
  } finally {
    await sandbox.stop()
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
