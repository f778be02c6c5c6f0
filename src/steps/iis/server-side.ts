import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { type InstanceResult, isTerminal, readInvocations } from '../ssm/invocations.js'
import { sendCommands } from '../ssm/send-commands.js'
import { DEFAULTS, type IisHealthParams } from './health.js'
import { type IisQuery, type IisReport, iisHealthScript, RESULT_PREFIX } from './iis-script.js'

const DOCUMENT = 'AWS-RunPowerShellScript'
const EXECUTION_TIMEOUT_S = 120

type ServerSide = NonNullable<IisHealthParams['server_side']>

export interface InstanceVerdict {
  passed: boolean
  problems: string[]
  app_pools?: Record<string, string>
  sites?: Record<string, string>
  services?: Record<string, string>
}

export function queryOf(serverSide: ServerSide): IisQuery {
  return {
    app_pools: serverSide.app_pools ?? [],
    sites: serverSide.sites ?? [],
    services: serverSide.services ?? [...DEFAULTS.services],
  }
}

const tail = (text: string, max = 300) => {
  const trimmed = text.trim()
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed
}

/** Parses the one result line; throws naming what came instead when it is missing or not JSON. */
export function parseReport(output: string): IisReport {
  const line = output
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX))
  if (line === undefined) throw new Error(`printed no ${RESULT_PREFIX.trim()} line`)
  let report: unknown
  try {
    report = JSON.parse(line.slice(RESULT_PREFIX.length))
  } catch {
    throw new Error(`printed a ${RESULT_PREFIX.trim()} line that is not JSON: ${tail(line, 120)}`)
  }
  const r = report as Partial<IisReport>
  if (typeof r !== 'object' || r === null || r.v !== 1)
    throw new Error(`printed a ${RESULT_PREFIX.trim()} line of an unknown version`)
  // ConvertTo-Json in Windows PowerShell 5.1 writes an empty array as null in some shapes.
  const list = <T>(value: T[] | T | undefined | null): T[] =>
    value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]
  return {
    v: 1,
    ...(r.computer ? { computer: r.computer } : {}),
    app_pools: list(r.app_pools),
    sites: list(r.sites),
    services: list(r.services),
    errors: list(r.errors),
  }
}

/** What an instance's report says against the query: every pool, site and service that is not up. */
export function judgeReport(query: IisQuery, report: IisReport): InstanceVerdict {
  const problems = [...report.errors]
  const states = (items: Array<{ name: string; state: string }>) =>
    Object.fromEntries(items.map((i) => [i.name, i.state]))
  const pools = states(report.app_pools)
  const sites = states(report.sites)
  const services = Object.fromEntries(report.services.map((s) => [s.name, s.status]))
  for (const name of query.app_pools)
    if (pools[name] !== 'Started') problems.push(`app pool '${name}' is ${pools[name] ?? 'not reported'}`)
  for (const name of query.sites)
    if (sites[name] !== 'Started') problems.push(`site '${name}' is ${sites[name] ?? 'not reported'}`)
  for (const name of query.services)
    if (services[name] !== 'Running') problems.push(`service ${name} is ${services[name] ?? 'not reported'}`)
  return { passed: problems.length === 0, problems, app_pools: pools, sites, services }
}

function verdictOf(query: IisQuery, result: InstanceResult | undefined): InstanceVerdict {
  if (!result) return { passed: false, problems: ['no answer from SSM'] }
  // The report line comes first; after it, the agent appends stderr behind its separator.
  const [stdout = '', stderr = ''] = result.output.split('\n----------ERROR-------\n')
  try {
    const verdict = judgeReport(query, parseReport(stdout))
    if (result.status !== 'Success') verdict.problems.push(`SSM says ${result.status}`)
    return { ...verdict, passed: verdict.problems.length === 0 }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    const said = tail(stderr || stdout)
    return {
      passed: false,
      problems: [
        `the IIS check ${result.status === 'Success' ? 'ran' : `ended ${result.status}, exit code ${result.exitCode}`} but ${why}${said ? `: ${said}` : ''}`,
      ],
    }
  }
}

/**
 * Runs the IIS check once on every instance through SSM and waits for every answer. A verdict per
 * instance: an instance that could not be read fails, naming why.
 */
export async function checkServers(
  ctx: StepContext,
  serverSide: ServerSide,
  pollMs: number,
): Promise<Map<string, InstanceVerdict>> {
  const query = queryOf(serverSide)
  const ssm = await ctx.aws.ssm()
  const redact = (text: string) => ctx.redact(text)
  const sent = await sendCommands(
    ssm,
    serverSide.instances,
    {
      document: DOCUMENT,
      parameters: { commands: [iisHealthScript(query)], executionTimeout: [String(EXECUTION_TIMEOUT_S)] },
      comment: `switchyard ${ctx.runId} ${ctx.stepId} iis.health`.slice(0, 100),
    },
    ctx.signal,
  )
  const results = new Map<string, InstanceResult>()
  const deadline = Date.now() + (EXECUTION_TIMEOUT_S + 30) * 1000
  for (;;) {
    for (const batch of sent) {
      if (batch.instances.every((id) => isTerminal(results.get(id)))) continue
      for (const [id, result] of await readInvocations(ssm, batch.commandId, redact, ctx.signal))
        results.set(id, result)
    }
    if (serverSide.instances.every((id) => isTerminal(results.get(id)))) break
    if (Date.now() > deadline)
      throw new SwitchyardError(
        `the IIS check through SSM did not finish on every instance (command ${sent.map((s) => s.commandId).join(', ')})`,
      )
    await ctx.sleep(pollMs)
  }
  return new Map(serverSide.instances.map((id) => [id, verdictOf(query, results.get(id))]))
}

/** One line per failing instance: `i-0abc: app pool 'Gift' is Stopped; service W3SVC is Stopped`. */
export const describeServerFailures = (verdicts: Map<string, InstanceVerdict>): string[] =>
  [...verdicts].filter(([, v]) => !v.passed).map(([id, v]) => `${id}: ${v.problems.join('; ')}`)
