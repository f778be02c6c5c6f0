// The ssm.run fan-out benchmark: `BENCH_ONLY=fanout npm run bench` (part of `npm run bench`).
//
// Starts the sandbox in this process with 1,000 running instances whose responders take 0.2–2 s
// (spread evenly, the slowest 2 s), then runs the built CLI (`node bin/run.js run`) on a runbook of
// one ssm.run step over all of them, pointed at the sandbox by environment only. Counts every API
// call the CLI made from the sandbox's request log, against the minimum; times the CLI process and
// the step (first SendCommand to last poll) against the slowest responder; reads the CLI's peak RSS
// with bench/report-rss.mjs preloaded.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { median } from './stats.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INSTANCES = 1000
const SEND_BATCH = 50
const PAGE = 50
const FASTEST_MS = 200
const SLOWEST_MS = 2000
const POLL_MS = 500

export interface FanoutRun {
  code: number | null
  wallMs: number
  stepMs: number
  rssKiB: number
  calls: Record<string, number>
  polls: number
}

export interface FanoutReport {
  runs: FanoutRun[]
  minimumSends: number
  /** Upper bound for a poller that reads each unfinished command every POLL_MS. */
  pollingBound: number
}

const durationOf = (i: number) => Math.round(FASTEST_MS + ((SLOWEST_MS - FASTEST_MS) * i) / (INSTANCES - 1))

/** Runs the built CLI (default: `run runbook.yaml`) in `dir`, with its output. */
export function runCli(
  dir: string,
  env: NodeJS.ProcessEnv,
  args = ['run', 'runbook.yaml'],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'run.js'), ...args], {
      cwd: dir,
      env,
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

async function once(round: number): Promise<FanoutRun> {
  const sandbox = await startAwsSandbox()
  const dir = mkdtempSync(join(os.tmpdir(), 'switchyard-fanout-'))
  try {
    const ids = Array.from({ length: INSTANCES }, () => sandbox.world.ec2.addInstance().id)
    const durations = new Map(ids.map((id, i) => [id, durationOf(i)]))
    sandbox.world.ssm.respond((id) => ({
      stdout: `done on ${id}\n`,
      exitCode: 0,
      durationMs: durations.get(id) ?? 0,
    }))
    writeFileSync(
      join(dir, 'runbook.yaml'),
      `version: 1\nname: fanout-${round}\nphases:\n  - id: main\n    steps:\n      - id: fan\n        uses: ssm.run\n        with: ${JSON.stringify({ instances: ids, script: 'Get-Service W3SVC', poll: `${POLL_MS}ms` })}\n`,
    )
    const rssFile = join(dir, 'rss.txt')
    const env = {
      ...process.env,
      ...sandboxEnv(sandbox.url),
      CI: 'true',
      NO_COLOR: '1',
      NODE_OPTIONS: `--import=${pathToFileURL(join(root, 'bench', 'report-rss.mjs')).href}`,
      SWITCHYARD_BENCH_RSS_FILE: rssFile,
    }
    const started = performance.now()
    const { code, output } = await runCli(dir, env)
    const wallMs = performance.now() - started
    if (code !== 0) throw new Error(`the fan-out run failed (exit ${code}):\n${output}`)
    const calls: Record<string, number> = {}
    for (const call of sandbox.log.calls) {
      const key = `${call.service} ${call.operation}`
      calls[key] = (calls[key] ?? 0) + 1
    }
    const ssm = sandbox.log.of('ssm')
    const first = ssm.find((c) => c.operation === 'SendCommand')?.at ?? 0
    const last = ssm.at(-1)?.at ?? 0
    // Rounds of polling: the command polled most often (the slowest) was read in every round.
    const firstPages = new Map<string, number>()
    for (const call of sandbox.log.of('ssm', 'ListCommandInvocations')) {
      const { CommandId, NextToken } = call.params as { CommandId: string; NextToken?: string }
      if (!NextToken) firstPages.set(CommandId, (firstPages.get(CommandId) ?? 0) + 1)
    }
    const polls = Math.max(0, ...firstPages.values())
    return {
      code,
      wallMs,
      stepMs: last - first,
      rssKiB: Number(readFileSync(rssFile, 'utf8').trim()),
      calls,
      polls,
    }
  } finally {
    await sandbox.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The ListCommandInvocations calls a poller needs at most: each command of 50 instances fits one
 * page, read at its send and once per poll interval until its slowest instance ends.
 */
function pollingBound(): number {
  let total = 0
  for (let batch = 0; batch < INSTANCES / SEND_BATCH; batch++) {
    const slowest = durationOf(Math.min(INSTANCES, (batch + 1) * SEND_BATCH) - 1)
    total += Math.ceil(SEND_BATCH / PAGE) * (Math.ceil(slowest / POLL_MS) + 1)
  }
  return total
}

export async function runFanoutBenchmark(
  rounds: number,
  progress: (text: string) => void,
): Promise<FanoutReport> {
  const runs: FanoutRun[] = []
  for (let round = 0; round < rounds; round++) {
    const run = await once(round)
    progress(
      `  fan-out ${round + 1}/${rounds}: ${(run.wallMs / 1000).toFixed(2)} s wall, ${run.calls['ssm SendCommand']} SendCommand, ${run.calls['ssm ListCommandInvocations']} ListCommandInvocations, ${(run.rssKiB / 1024).toFixed(0)} MB`,
    )
    runs.push(run)
  }
  return { runs, minimumSends: Math.ceil(INSTANCES / SEND_BATCH), pollingBound: pollingBound() }
}

export function fanoutMarkdown(report: FanoutReport, tree: string): string {
  const { runs } = report
  const m = (pick: (r: FanoutRun) => number) => median(runs.map(pick))
  const operations = [...new Set(runs.flatMap((r) => Object.keys(r.calls)))].sort()
  const s = (ms: number) => (ms / 1000).toFixed(2)
  const sends = m((r) => r.calls['ssm SendCommand'] ?? 0)
  const lists = m((r) => r.calls['ssm ListCommandInvocations'] ?? 0)
  const gets = m((r) => r.calls['ssm GetCommandInvocation'] ?? 0)
  const wall = m((r) => r.wallMs)
  const step = m((r) => r.stepMs)
  const rss = Math.max(...runs.map((r) => r.rssKiB)) / 1024
  const perInstancePolls = INSTANCES * m((r) => r.polls)
  return [
    '## ssm.run fan-out',
    '',
    `\`ssm.run\` on ${INSTANCES.toLocaleString('en-US')} sandbox instances through the built CLI.`,
    '',
    '- Command: `npm run bench` (or only this part: `BENCH_ONLY=fanout npm run bench`); code in `bench/fanout.ts`',
    `- Date: ${new Date().toISOString()}; tree: ${tree}`,
    `- Method: ${runs.length} runs, each with a fresh in-process sandbox (\`startAwsSandbox\`) holding ${INSTANCES} running instances whose responders take ${FASTEST_MS} ms to ${SLOWEST_MS} ms (evenly spread in instance order, so the last batch holds the slowest), and \`node bin/run.js run\` of one \`ssm.run\` step (\`poll: ${POLL_MS}ms\`; the default is 5s) pointed at it with \`AWS_ENDPOINT_URL\`. Calls counted from the sandbox's request log; medians. Wall = the CLI process from spawn to exit; step = first SendCommand to last SSM call. Peak RSS = \`maxRSS\` of the CLI via \`bench/report-rss.mjs\` (largest run).`,
    '',
    '| API call | Made (median) | Minimum |',
    '| --- | ---: | ---: |',
    `| ssm SendCommand | ${sends} | ${report.minimumSends} (ceil(${INSTANCES}/${SEND_BATCH})) |`,
    `| ssm ListCommandInvocations | ${lists} | ${report.minimumSends} (one page of ${PAGE} per command, read once after it ends); polling every ${POLL_MS} ms from each send, up to ${report.pollingBound} |`,
    `| ssm GetCommandInvocation | ${gets} | 0 (one per instance per poll would be ${perInstancePolls.toLocaleString('en-US')}) |`,
    ...operations
      .filter(
        (o) => !['ssm SendCommand', 'ssm ListCommandInvocations', 'ssm GetCommandInvocation'].includes(o),
      )
      .map((o) => `| ${o} | ${m((r) => r.calls[o] ?? 0)} | — |`),
    '',
    '| Measure | Value |',
    '| --- | ---: |',
    `| Slowest responder | ${s(SLOWEST_MS)} s |`,
    `| Step time (first SendCommand to last poll) | ${s(step)} s (${s(step - SLOWEST_MS)} s over the slowest) |`,
    `| CLI wall time | ${s(wall)} s (${s(wall - SLOWEST_MS)} s over the slowest) |`,
    `| Polls (rounds of ListCommandInvocations) | ${m((r) => r.polls)} |`,
    `| Peak RSS of the CLI | ${rss.toFixed(0)} MB |`,
    '',
  ].join('\n')
}
