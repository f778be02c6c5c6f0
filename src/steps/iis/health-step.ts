import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { DEFAULTS, type IisHealthParams } from './health.js'
import { judge } from './judge.js'
import { type ProbeAnswer, probe, urlFor } from './probe.js'
import { checkServers, describeServerFailures, type InstanceVerdict } from './server-side.js'

const LISTED = 20

/** One host's record across the rounds of probes. */
interface HostRecord {
  host: string
  url: string
  /** Passes in a row, up to now. */
  streak: number
  probes: number
  last?: ProbeAnswer
  lastError?: string
  certDays?: number
}

interface Settings {
  successes: number
  intervalMs: number
  deadlineMs: number
  timeoutMs: number
  warmup: number
  ca?: string
}

async function settingsOf(ctx: StepContext, p: IisHealthParams): Promise<Settings> {
  const caFile = p.tls?.ca_file
  let ca: string | undefined
  if (caFile !== undefined) {
    const path = resolve(ctx.workdir, caFile)
    try {
      ca = await readFile(path, 'utf8')
    } catch (error) {
      throw new SwitchyardError(`cannot read tls.ca_file ${path}: ${(error as Error).message}`, {
        hint: 'ca_file is a PEM file, relative to the runbook',
      })
    }
  }
  return {
    successes: p.consecutive_successes ?? DEFAULTS.consecutiveSuccesses,
    intervalMs: parseDuration(p.interval ?? DEFAULTS.interval),
    deadlineMs: parseDuration(p.deadline ?? DEFAULTS.deadline),
    timeoutMs: parseDuration(p.request_timeout ?? DEFAULTS.requestTimeout),
    warmup: p.warmup ?? DEFAULTS.warmup,
    ...(ca !== undefined ? { ca } : {}),
  }
}

interface Warnings {
  said: string[]
  add(text: string): void
}

/** Warnings said once each (journaled by ctx.warn) and listed in the outputs. */
function warningsFor(ctx: StepContext): Warnings {
  const said: string[] = []
  return {
    said,
    add(text) {
      const redacted = ctx.redact(text)
      if (said.includes(redacted)) return
      said.push(redacted)
      ctx.warn(redacted)
    },
  }
}

function send(ctx: StepContext, p: IisHealthParams, s: Settings, url: string): Promise<ProbeAnswer> {
  return probe({
    url,
    method: p.method ?? 'GET',
    timeoutMs: s.timeoutMs,
    signal: ctx.signal,
    ...(p.host_header !== undefined ? { hostHeader: p.host_header } : {}),
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    ...(p.tls?.insecure ? { insecure: true } : {}),
  })
}

/** Probes a host once and records the outcome on it; a failure resets its run of passes. */
async function probeOnce(
  ctx: StepContext,
  p: IisHealthParams,
  s: Settings,
  record: HostRecord,
  warnings: Warnings,
): Promise<void> {
  const answer = await send(ctx, p, s, record.url)
  const verdict = judge(answer, p)
  record.probes++
  record.last = answer
  if (answer.ok && answer.certDays !== undefined) record.certDays = answer.certDays
  for (const warning of verdict.warnings) warnings.add(`${record.host}: ${warning}`)
  if (verdict.passed) record.streak++
  else {
    record.streak = 0
    record.lastError = ctx.redact(verdict.failures.join('; '))
  }
}

const recordsFor = (p: IisHealthParams): HostRecord[] =>
  p.hosts.map((host) => ({ host, url: urlFor(p.url, host), streak: 0, probes: 0 }))

function hostOutputs(records: HostRecord[], successes: number) {
  return Object.fromEntries(
    records.map((r) => [
      r.host,
      {
        status: r.last?.ok ? r.last.status : null,
        latency_ms: r.last?.latencyMs ?? null,
        passes: Math.min(r.streak, successes),
        probes: r.probes,
        ...(r.lastError !== undefined ? { last_error: r.lastError } : {}),
        ...(r.certDays !== undefined ? { cert_days: Math.round(r.certDays * 10) / 10 } : {}),
      },
    ]),
  )
}

const serverOutputs = (verdicts: Map<string, InstanceVerdict>) =>
  Object.fromEntries(
    [...verdicts].map(([id, v]) => [
      id,
      {
        passed: v.passed,
        ...(v.app_pools ? { app_pools: v.app_pools } : {}),
        ...(v.sites ? { sites: v.sites } : {}),
        ...(v.services ? { services: v.services } : {}),
        ...(v.problems.length ? { problems: v.problems } : {}),
      },
    ]),
  )

function progressLine(records: HostRecord[], successes: number): string {
  const healthy = records.filter((r) => r.streak >= successes).length
  const each = records
    .slice(0, 5)
    .map((r) =>
      r.streak >= successes
        ? `${r.host} ok`
        : r.streak > 0 || !r.lastError
          ? `${r.host} ${r.streak}/${successes}`
          : `${r.host} failing: ${r.lastError}`,
    )
  const more = records.length > 5 ? `, and ${records.length - 5} more` : ''
  return `${healthy}/${records.length} hosts healthy (${each.join(', ')}${more})`
}

const listed = (lines: string[]) =>
  lines.length > LISTED
    ? [...lines.slice(0, LISTED), `and ${lines.length - LISTED} more`].map((l) => `  ${l}`)
    : lines.map((l) => `  ${l}`)

/** Runs the server-side check until every instance passes once, retrying failing ones each interval. */
async function serversUntilHealthy(
  ctx: StepContext,
  serverSide: NonNullable<IisHealthParams['server_side']>,
  s: Settings,
  deadlineAt: number,
): Promise<Map<string, InstanceVerdict>> {
  const verdicts = new Map<string, InstanceVerdict>()
  let pending = [...serverSide.instances]
  for (;;) {
    const round = await checkServers(ctx, { ...serverSide, instances: pending }, Math.min(s.intervalMs, 1000))
    for (const [id, verdict] of round) verdicts.set(id, verdict)
    pending = pending.filter((id) => !verdicts.get(id)?.passed)
    if (pending.length === 0 || performance.now() + s.intervalMs > deadlineAt) return verdicts
    await ctx.sleep(s.intervalMs)
  }
}

async function warmUp(ctx: StepContext, p: IisHealthParams, s: Settings, records: HostRecord[]) {
  if (s.warmup === 0) return
  ctx.progress({ message: `warming up: ${s.warmup} unjudged requests to each of ${records.length} hosts` })
  await Promise.all(
    records.map(async (r) => {
      for (let i = 0; i < s.warmup; i++) await send(ctx, p, s, r.url)
    }),
  )
}

function warnInsecure(p: IisHealthParams, warnings: Warnings): void {
  if (p.tls?.insecure) warnings.add('tls.insecure: certificates are not verified')
}

export const iisHealthStep: StepImplementation<IisHealthParams> = {
  // Reads nothing: the probes are the step's work. The one read-only change keeps a resume after a
  // crash mid-probe from taking "no change" as done: it probes again.
  async plan(_ctx, p) {
    const hosts = p.hosts.length === 1 ? '1 host' : `${p.hosts.length} hosts`
    const n = p.consecutive_successes ?? DEFAULTS.consecutiveSuccesses
    const servers = p.server_side
      ? `, and IIS on ${p.server_side.instances.length} instance${p.server_side.instances.length === 1 ? '' : 's'} through SSM`
      : ''
    return {
      changes: [
        {
          action: 'check',
          target: hosts,
          summary: `probe ${p.url} on ${hosts} until each passes ${n} times in a row${servers} (read-only)`,
        },
      ],
    }
  },

  async apply(ctx, p) {
    const s = await settingsOf(ctx, p)
    const warnings = warningsFor(ctx)
    warnInsecure(p, warnings)
    const records = recordsFor(p)
    const deadlineAt = performance.now() + s.deadlineMs
    await warmUp(ctx, p, s, records)
    const servers = p.server_side
      ? serversUntilHealthy(ctx, p.server_side, s, deadlineAt).catch((error: unknown) => error as Error)
      : undefined
    let ran = false
    for (;;) {
      const pending = records.filter((r) => r.streak < s.successes)
      if (pending.length === 0) break
      if (ran && performance.now() + s.intervalMs > deadlineAt) break
      if (ran) await ctx.sleep(s.intervalMs)
      await Promise.all(pending.map((r) => probeOnce(ctx, p, s, r, warnings)))
      ran = true
      ctx.progress({
        percent: Math.floor((records.filter((r) => r.streak >= s.successes).length / records.length) * 100),
        message: progressLine(records, s.successes),
      })
    }
    const verdicts = await servers
    if (verdicts instanceof Error) throw verdicts
    const unhealthy = records.filter((r) => r.streak < s.successes)
    const serverFailures = verdicts ? describeServerFailures(verdicts) : []
    if (unhealthy.length > 0 || serverFailures.length > 0) {
      const hostLines = unhealthy.map(
        (r) =>
          `${r.host}: ${r.streak} of ${s.successes} passes in a row after ${r.probes} probes; last failure: ${r.lastError ?? 'none'}`,
      )
      const parts = [
        unhealthy.length > 0 ? `${unhealthy.length} of ${records.length} hosts not healthy` : '',
        serverFailures.length > 0 ? `IIS not healthy on ${serverFailures.length} instances` : '',
      ].filter(Boolean)
      throw new SwitchyardError(
        ctx.redact(
          `${parts.join(' and ')} by the ${p.deadline ?? DEFAULTS.deadline} deadline:\n${listed([...hostLines, ...serverFailures]).join('\n')}`,
        ),
        { hint: 'one success is not health: each host must pass consecutive_successes probes in a row' },
      )
    }
    return {
      hosts: hostOutputs(records, s.successes),
      ...(verdicts ? { server_side: serverOutputs(verdicts) } : {}),
      ...(warnings.said.length ? { warnings: warnings.said } : {}),
    }
  },

  // One round, not a wait: a gate polls check during a bake, so each call probes every host once
  // (and runs the server-side check once), and every one must pass.
  async check(ctx, p) {
    const s = await settingsOf(ctx, p)
    const warnings = warningsFor(ctx)
    warnInsecure(p, warnings)
    const records = recordsFor(p)
    const [verdicts] = await Promise.all([
      // The server side goes through SSM's SendCommand, which a dry run never sends.
      p.server_side && !ctx.dryRun
        ? checkServers(ctx, p.server_side, Math.min(s.intervalMs, 1000))
        : undefined,
      ...records.map((r) => probeOnce(ctx, p, s, r, warnings)),
    ])
    const failures = [
      ...records.filter((r) => r.streak === 0).map((r) => `${r.host}: ${r.lastError}`),
      ...(verdicts ? describeServerFailures(verdicts) : []),
    ]
    if (failures.length > 0)
      throw new SwitchyardError(
        ctx.redact(
          failures.length === 1
            ? `not healthy: ${failures[0]}`
            : `not healthy:\n${listed(failures).join('\n')}`,
        ),
      )
  },
}
