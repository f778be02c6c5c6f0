// The drill matrix: every fault at the flagship's riskiest steps (the seeds, the directory sync, the
// traffic shift), each drill a run of the built CLI against its own fresh demo platform, at scaled-down
// times. Shared by test/drill-matrix.test.ts and bench/drill.ts (BENCHMARKS.md's table).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { root, startSwitchyard } from './cli.ts'

/**
 * seed-stalls is left out: the flagship's seed has no stall_after param, so a stall is noticed after the
 * step's default five minutes; test/drill.test.ts drills it on a runbook with stall_after: 1s.
 */
export const MATRIX = [
  'seed-fails@seed',
  'dc-replication-stops@ad-sync',
  'alarm-mid-bake@shift',
  'web-host-unhealthy@shift',
  'replica-disconnects@shift',
  'route53-throttled@shift',
  'route53-5xx@shift',
  'cli-killed@seed',
]

/** The flagship's sandbox params with its bakes and polls scaled down. */
const SCALED = ['bake=200ms', 'gate_poll=100ms', 'sql_poll=200ms', 'health_interval=100ms'].flatMap((p) => [
  '-p',
  p,
])

export interface MatrixRow {
  injection: string
  code: number | null
  seconds: number
  report?: {
    passed: boolean
    reasons: string[]
    detection_ms: number | null
    rto_ms: number | null
    rpo: { lost_bytes: number; lost_commit_ms: number }
    world_diff: string[]
    kept: unknown[]
    runOutcome: string
  }
  stderr: string
}

/** One drill of the matrix in a folder of its own under `dir`. */
export async function runMatrixDrill(dir: string, injection: string): Promise<MatrixRow> {
  const cwd = join(dir, injection.replace(/[@]/g, '-at-'))
  mkdirSync(cwd, { recursive: true })
  const started = performance.now()
  const result = await startSwitchyard(
    cwd,
    [
      'drill',
      join(root, 'runbooks', 'giftcard-cutover.yaml'),
      '--sandbox',
      '--params',
      join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml'),
      ...SCALED,
      '--inject',
      injection,
      '--json',
    ],
    // AWS retries back off from 20 ms instead of 500 ms: Route 53's refusals outlast them sooner.
    { AWS_PROFILE: '', SWITCHYARD_AWS_BACKOFF_MS: '20' },
  ).done
  const seconds = (performance.now() - started) / 1000
  let report: MatrixRow['report']
  try {
    report = JSON.parse(result.stdout)
  } catch {
    report = undefined
  }
  return { injection, code: result.code, seconds, ...(report ? { report } : {}), stderr: result.stderr }
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '–' : String(value))

/** The matrix as a Markdown table, a row per drill. */
export function matrixTable(rows: MatrixRow[]): string {
  return [
    '| fault @ step | passed | run ended | detection (ms) | RTO (ms) | RPO lost (bytes) | world diff | kept paths | drill (s) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const d = r.report
      return `| ${r.injection} | ${d ? (d.passed ? 'yes' : 'NO') : `exit ${r.code}`} | ${d?.runOutcome ?? '–'} | ${ms(d?.detection_ms)} | ${ms(d?.rto_ms)} | ${ms(d?.rpo.lost_bytes)} | ${d ? d.world_diff.length : '–'} | ${d ? d.kept.length : '–'} | ${r.seconds.toFixed(1)} |`
    }),
  ].join('\n')
}
