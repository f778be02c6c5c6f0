import { parseDuration } from '../../runbook/duration.js'
import type { IisHealthParams } from './health.js'
import type { ProbeAnswer } from './probe.js'

/** How much of a body a message quotes. */
const QUOTED = 120

/** A probe judged against the step's expectations: what failed, and what only deserves a warning. */
export interface Verdict {
  passed: boolean
  failures: string[]
  warnings: string[]
}

/** A body as a message quotes it: on one line, cut short, its own quotes left as they are. */
export const quote = (text: string, max = QUOTED): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return `"${flat.length > max ? `${flat.slice(0, max)}…` : flat}"`
}

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined'
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

const days = (value: number) => {
  const rounded = Math.round(value * 10) / 10
  return `${rounded} day${rounded === 1 ? '' : 's'}`
}

/** The value at a dotted path (`checks.db`, `items.0.name`), or `missing` when the path is not there. */
function valueAt(document: unknown, path: string): { found: true; value: unknown } | { found: false } {
  let here: unknown = document
  for (const key of path.split('.')) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return { found: false }
    here = (here as Record<string, unknown>)[key]
  }
  return { found: true, value: here }
}

function judgeJson(body: string, expected: Record<string, unknown>): string[] {
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch {
    return [`expected a JSON body, got ${quote(body)}`]
  }
  const failures: string[] = []
  for (const [path, want] of Object.entries(expected)) {
    const got = valueAt(document, path)
    if (!got.found) failures.push(`expected JSON ${path} to be ${JSON.stringify(want)}, got no ${path}`)
    else if (got.value !== want)
      failures.push(`expected JSON ${path} to be ${JSON.stringify(want)}, got ${shown(got.value)}`)
  }
  return failures
}

function judgeCertificate(certDays: number | undefined, p: IisHealthParams, v: Verdict): void {
  if (certDays === undefined || !p.tls) return
  const { warn_days: warnDays, fail_days: failDays } = p.tls
  if (certDays <= 0) v.failures.push('certificate has expired')
  else if (failDays !== undefined && certDays < failDays)
    v.failures.push(`certificate expires in ${days(certDays)} (fail under ${failDays})`)
  else if (warnDays !== undefined && certDays < warnDays)
    v.warnings.push(`certificate expires in ${days(certDays)} (warn under ${warnDays})`)
}

/** Every expectation the answer misses, each as "expected X, got Y"; an answer may miss several. */
export function judge(answer: ProbeAnswer, p: IisHealthParams): Verdict {
  const verdict: Verdict = { passed: false, failures: [], warnings: [] }
  if (!answer.ok) {
    verdict.failures.push(answer.error)
    return verdict
  }
  const expect = p.expect ?? {}
  const statuses = expect.status === undefined ? [200] : [expect.status].flat()
  if (!statuses.includes(answer.status))
    verdict.failures.push(
      `expected status ${statuses.join(' or ')}, got ${answer.status}${answer.body ? ` ${quote(answer.body, 60)}` : ''}`,
    )
  if (expect.body !== undefined && !answer.body.includes(expect.body))
    verdict.failures.push(
      `expected body to contain ${JSON.stringify(expect.body)}, got ${quote(answer.body)}`,
    )
  if (expect.body_regex !== undefined && !new RegExp(expect.body_regex).test(answer.body))
    verdict.failures.push(`expected body to match /${expect.body_regex}/, got ${quote(answer.body)}`)
  if (expect.json !== undefined) verdict.failures.push(...judgeJson(answer.body, expect.json))
  if (p.max_latency !== undefined) {
    const max = parseDuration(p.max_latency)
    if (answer.latencyMs > max) verdict.failures.push(`latency ${answer.latencyMs}ms over max ${max}ms`)
  }
  judgeCertificate(answer.certDays, p, verdict)
  verdict.passed = verdict.failures.length === 0
  return verdict
}
