// The drill matrix: every fault at the flagship's riskiest steps (the seeds, the directory sync, the
// traffic shift), as one `switchyard drill --each` of the built CLI: one drill per fault, one after
// the other on one demo platform, at scaled-down times. Shared by test/drill-matrix.test.ts and
// bench/drill.ts (BENCHMARKS.md's table).
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

export interface MatrixDrill {
  passed: boolean
  reasons: string[]
  faults: { name: string; step: string }[]
  detection_ms: number | null
  rto_ms: number | null
  rpo: { lost_bytes: number; lost_commit_ms: number }
  world_diff: string[]
  kept: unknown[]
  runOutcome: string
  elapsed_ms: number
  failed_requests: number | null
  total_requests: number | null
  failed_outside_window: number | null
}

export interface MatrixRun {
  code: number | null
  seconds: number
  passed?: boolean
  drills: MatrixDrill[]
  stderr: string
}

/** The whole matrix, run in `cwd`. */
export async function runMatrix(cwd: string): Promise<MatrixRun> {
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
      '--each',
      ...MATRIX.flatMap((injection) => ['--inject', injection]),
      '--json',
    ],
    // AWS retries back off from 20 ms instead of 500 ms: Route 53's refusals outlast them sooner.
    { AWS_PROFILE: '', SWITCHYARD_AWS_BACKOFF_MS: '20' },
  ).done
  const seconds = (performance.now() - started) / 1000
  let parsed: { passed?: boolean; drills?: MatrixDrill[] } = {}
  try {
    parsed = JSON.parse(result.stdout)
  } catch {
    parsed = {}
  }
  return {
    code: result.code,
    seconds,
    ...(parsed.passed === undefined ? {} : { passed: parsed.passed }),
    drills: parsed.drills ?? [],
    stderr: result.stderr,
  }
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '–' : String(value))

/** The matrix as a Markdown table, a row per drill. */
export function matrixTable(run: MatrixRun): string {
  return [
    '| fault @ step | passed | run ended | detection (ms) | RTO (ms) | RPO lost (bytes) | requests failed / sent (outside the window) | world diff | kept paths | drill (s) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...run.drills.map((d) => {
      const at = d.faults.map((f) => `${f.name}@${f.step}`).join(', ')
      return `| ${at} | ${d.passed ? 'yes' : 'NO'} | ${d.runOutcome} | ${ms(d.detection_ms)} | ${ms(d.rto_ms)} | ${d.rpo.lost_bytes} | ${ms(d.failed_requests)} / ${ms(d.total_requests)} (${ms(d.failed_outside_window)}) | ${d.world_diff.length} | ${d.kept.length} | ${(d.elapsed_ms / 1000).toFixed(1)} |`
    }),
  ].join('\n')
}
