// `switchyard report` of the flagship: the real run, resume and rollback against the demo platform
// through the built CLI, then report.md read as text and report.html opened in a headless chromium with
// the network cut off. A drill's report is the same run's journal with a drill's events appended.
import assert from 'node:assert/strict'
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { DrillRecord } from '../src/engine/events.ts'
import { lineHash } from '../src/engine/journal.ts'
import { loadRunbook } from '../src/runbook/load.ts'
import { DEMO_PLATFORM } from '../src/sandbox/demo-platform.ts'
import type { LoadBucket, LoadSummary } from '../src/sandbox/load/tally.ts'
import { checkOffline, chromiumMissing } from './helpers/browser.ts'
import { allBytes, journalEvents, lines, startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'
import {
  flagshipOverrides,
  flagshipPlatformForFile,
  flagshipRunbook,
  flagshipSandboxParams,
} from './helpers/flagship.ts'

const scratch = tempDir('report')
const platform = flagshipPlatformForFile(scratch.cleanup)

const runbookFile = flagshipRunbook
const sandboxParams = flagshipSandboxParams
const stepIds = (loadRunbook({ file: runbookFile, requireParams: false }).runbook?.phases ?? []).flatMap(
  (p) => p.steps.map((s) => s.id),
)
const secret = DEMO_PLATFORM.sql.password
const runsDir = () => join(scratch.dir, '.switchyard', 'runs')

// Not spawnSync: the platform answers from this process's event loop, which must keep turning.
const cli = (args: string[], env: Record<string, string> = {}) =>
  startSwitchyard(scratch.dir, args, { ...platform().env, AWS_PROFILE: '', ...env }).done

async function ok(args: string[], env: Record<string, string> = {}) {
  const result = await cli(args, env)
  assert.equal(result.code, 0, `${args.join(' ')}:\n${result.stdout.slice(-3000)}${result.stderr}`)
  return result
}

/** A full-page screenshot into the test's temp folder (removed with it), checked to be a PNG. */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(scratch.dir, 'screenshots', name)
  mkdirSync(dirname(path), { recursive: true })
  await page.screenshot({ path, fullPage: true })
  assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
}

/** A Markdown table's rows whose first cells read as given. */
const rowsOf = (markdown: string, ...first: string[]) =>
  markdown.split('\n').filter((line) => line.startsWith(`| ${first.join(' | ')} |`))

describe('switchyard report of the flagship cutover, resumed and rolled back', () => {
  let runId = ''
  const out = join(scratch.dir, 'flagship-report')
  let markdown = ''

  before(async () => {
    const overrides = flagshipOverrides(platform())
    const started = await ok(
      ['run', runbookFile, '--params', sandboxParams, ...overrides, '--until', 'verify'],
      {
        SWITCHYARD_OPERATOR: 'alice',
      },
    )
    runId = started.stdout.match(/run (\S+) started by/)?.[1] ?? ''
    assert.ok(runId, started.stdout)
    await ok([
      'resume',
      runId,
      '--approve',
      'traffic',
      '--reason',
      `CHG-4711 go-ahead; the password is ${secret}`,
    ])
    await ok(['rollback', runId, '--to', 'start', '--force', '--yes'])
    const report = await ok(['report', runId, '--out', out, '--json'])
    assert.deepEqual(JSON.parse(report.stdout), {
      runId,
      markdown: join(out, 'report.md'),
      html: join(out, 'report.html'),
    })
    markdown = readFileSync(join(out, 'report.md'), 'utf8')
  })

  test('each approval shows who gave it, when, how and the reason; a secret in the reason shows as ***', () => {
    const [approval, ...more] = markdown.split('\n').filter((l) => l.includes('phase gate traffic'))
    assert.equal(more.length, 0, markdown)
    assert.match(
      approval ?? '',
      /^\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \| phase gate traffic \| root \| OS user root; arn:aws:iam::\d+:user\/switchyard-sandbox \| flag --approve traffic \| CHG-4711 go-ahead; the password is \\\*\\\*\\\* \|$/,
    )
    assert.ok(!allBytes(out).includes(secret), 'the secret is in neither report file')
  })

  test('who acted: the run, the resume and the rollback, each with operator, OS user, host and AWS identity', () => {
    const acted = markdown.split('## Who acted')[1]?.split('## ')[0] ?? ''
    const actions = acted
      .split('\n')
      .filter((l) => /^\| \d{4}/.test(l))
      .map((l) => l.split(' | ').slice(1, 4))
    assert.deepEqual(actions, [
      ['run', 'alice', 'root'],
      ['resume', 'root', 'root'],
      ['rollback to start (--force)', 'root', 'root'],
    ])
    assert.match(acted, /arn:aws:iam::\d+:user\/switchyard-sandbox \|$/m)
  })

  test('plan versus what happened: every step of the runbook, its planned changes and what became of it', () => {
    const plan = markdown.split('## Plan versus what happened')[1]?.split('## ')[0] ?? ''
    for (const step of stepIds)
      assert.equal(plan.match(new RegExp(`^\\| \\w+ \\| ${step} \\|`, 'gm'))?.length, 1, step)
    assert.match(
      plan,
      /^\| traffic \| shift \| route53\.shift \| update www\.gift\.example CNAME: stage 1\/3: onprem 100 -&gt; 90, aws 0 -&gt; 10, bake 200ms<br>.* \| undone by rollback \| 1 \|$/m,
    )
    assert.match(
      plan,
      /^\| finalize \| failover \| sql\.failover \| .*fail AG-GIFTCARD over from SQL-ONPREM-1 to SQL-AWS-1.* \| undone by rollback \| 1 \|$/m,
    )
    assert.match(
      plan,
      /^\| preflight \| alarms-ok \| cloudwatch\.alarm \| no change \(read-only, or already as wanted\) \| rolled back past: nothing to undo \| 1 \|$/m,
    )
  })

  test("gate evidence: alarm states, health rounds, sync states, and each shift stage's gate verdicts", () => {
    assert.match(markdown, /^\| states\.giftcard-5xx \| OK \|$/m)
    assert.match(markdown, /^\| 127\.0\.1\.11 \| 200 \| \d+ \| 2 \| 2 \|$/m, 'a health round per host')
    assert.match(markdown, /^\| GiftCard \| SYNCHRONIZING \| HEALTHY \| \d+ \| \d+ \| \d+ \|$/m)
    const shift = rowsOf(markdown, 'traffic › shift')[0] ?? ''
    for (const stage of [1, 2, 3])
      assert.match(
        shift,
        new RegExp(`stage ${stage} · weights [^;]*· gates: alarm giftcard-5xx is OK`),
        shift,
      )
  })

  test('the rollback record lists each undo in order, and the warnings are there', () => {
    const record = markdown.split('## Rollback record')[1]?.split('## ')[0] ?? ''
    const undone = [...record.matchAll(/^- .* UTC (\S+) undone$/gm)].map((m) => m[1])
    assert.equal(undone[0], 'failover', record)
    assert.match(record, /UTC alarms-ok: nothing to undo$/m)
    assert.ok(undone.includes('add-replica') && undone.includes('shift'), record)
    assert.match(record, /rollback to start started by root with --force/)
    assert.match(record, /rollback to start completed$/m)
    assert.match(markdown, /## Warnings\n\n- sql-preflight: sql-aws \(SQL-AWS-1\): endpoint reachable/)
  })

  test('report.html opens in headless chromium: no console error, no request leaves, a Gantt bar per step, a screenshot', {
    skip: chromiumMissing(),
  }, async () => {
    await checkOffline(join(out, 'report.html'), async (page) => {
      const rows = await page
        .locator('svg.gantt g.row.step')
        .evaluateAll((gs) =>
          gs.map((g) => ({ step: g.getAttribute('data-step'), bars: g.querySelectorAll('rect.bar').length })),
        )
      assert.deepEqual(
        rows.map((r) => r.step),
        stepIds,
      )
      for (const row of rows) assert.ok(row.bars >= 1, `${row.step} has a bar`)
      for (const step of ['add-replica', 'shift', 'failover'])
        assert.equal(await page.locator(`g.row.step[data-step="${step}"] rect.bar.undo`).count(), 1, step)
      assert.equal(await page.locator('g.row.phase[data-phase="traffic"] path.mark.approval').count(), 1)
      assert.equal((await page.locator('svg.gantt rect.bar.stage').count()) > 3, true)
      assert.equal(await page.getByRole('heading', { name: 'Plan versus what happened' }).count(), 1)
      await screenshot(page, 'flagship-report.png')
    })
  })

  test('the summary names the journal chain head, the one switchyard verify prints', async () => {
    const verified = JSON.parse((await ok(['verify', runId, '--json'])).stdout) as {
      head: string
      intact: boolean
    }
    assert.equal(verified.intact, true)
    assert.ok(
      markdown.includes(`| journal chain head | ${verified.head} (intact) |`),
      markdown.slice(0, 1200),
    )
  })

  test('a journal line edited from outside: the report says the chain is not intact, and where', async () => {
    const copy = '20991231T000000Z-giftcard-cutover-edited'
    cpSync(join(runsDir(), runId), join(runsDir(), copy), { recursive: true })
    const journal = join(runsDir(), copy, 'journal.ndjson')
    writeFileSync(journal, readFileSync(journal, 'utf8').replace('CHG-4711 go-ahead', 'CHG-0000 go-ahead'))
    const out = join(scratch.dir, 'edited-report')
    await ok(['report', copy, '--out', out])
    const [row] = rowsOf(readFileSync(join(out, 'report.md'), 'utf8'), 'journal chain head')
    assert.match(row ?? '', /^\| journal chain head \| [0-9a-f]{64} \(NOT intact: line \d+: .*\) \|$/)
  })

  describe('a drill: the same journal with the drill-result and sandbox-load events a drill appends', () => {
    const drillOut = join(scratch.dir, 'drill-report')
    let drillMarkdown = ''

    before(async () => {
      const journal = join(runsDir(), runId, 'journal.ndjson')
      const written = lines(journal)
      const events = written.map((l) => JSON.parse(l))
      const last = events.at(-1)
      const first = Date.parse(events[0].at)
      const end = Date.parse(last.at)
      const stage2 = events.find((e) => e.type === 'step-checkpoint' && e.data.stage === 2)
      const injected = Date.parse(stage2.at) - 150
      const iso = (ms: number) => new Date(ms).toISOString()
      const buckets: LoadBucket[] = []
      // As the load generator counts: per whole second, by when each request was sent.
      for (let at = Math.floor(first / 1000) * 1000; at <= end; at += 1000) {
        const failed = at <= injected && injected < at + 1000 ? 3 : 0
        buckets.push({ at: iso(at), ok: 20 - failed, failed, aws: at > injected ? 0 : 10, onprem: 10 })
      }
      const summary = {
        rps: 20,
        startedAt: iso(first),
        stoppedAt: iso(end),
        total: buckets.length * 20,
        failed: 3,
        reasons: { 'HTTP 503 from http://127.0.1.11:18080/health': 3 },
        failures: [1, 2, 3].map((n) => ({
          sentAt: iso(injected + n * 10),
          answeredAt: iso(injected + n * 10 + 5),
          site: 'aws',
          reason: 'HTTP 503',
        })),
        buckets,
      } satisfies LoadSummary
      const drill = {
        passed: true,
        reasons: [],
        faults: [
          {
            name: 'alarm-mid-bake',
            step: 'shift',
            injectedAt: iso(injected),
            detectedAt: iso(injected + 420),
          },
        ],
        detection_ms: 420,
        rto_ms: 1380,
        rpo: {
          lost_commit_ms: 0,
          lost_bytes: 0,
          databases: [{ database: 'AG-GIFTCARD/GiftCard', lsn_at_fault: '98000008486200001', lost_bytes: 0 }],
        },
        world_diff: [],
        kept: [
          {
            path: '/aws/route53/history',
            why: 'change batches Route 53 applied: its history only grows',
            paths: 3,
          },
          { path: '/sql/backupFiles', why: `<img src=x onerror="alert(1)"> ${secret}`, paths: 1 },
        ],
        failed_requests: 3,
        total_requests: summary.total,
        failed_outside_window: 0,
        load: { total: summary.total, failed: summary.failed, buckets },
      } satisfies DrillRecord
      // Appended as the drill appends them: the next seq, each linked to the line before it.
      let previous = written.at(-1) as string
      for (const event of [
        { seq: last.seq + 1, at: iso(end + 1), epoch: last.epoch, type: 'sandbox-load', summary },
        { seq: last.seq + 2, at: iso(end + 2), epoch: last.epoch, type: 'drill-result', ...drill },
      ]) {
        previous = JSON.stringify({ ...event, prev: lineHash(previous) })
        appendFileSync(journal, `${previous}\n`)
      }
      await ok(['report', runId, '--out', drillOut])
      drillMarkdown = readFileSync(join(drillOut, 'report.md'), 'utf8')
    })

    test('report.md gives the verdict, detection, RTO, RPO, failed requests and the world diff', () => {
      assert.ok(drillMarkdown.startsWith(`# Drill report: giftcard-cutover, run ${runId}\n`))
      assert.match(drillMarkdown, /^\| journal chain head \| [0-9a-f]{64} \(intact\) \|$/m)
      for (const row of [
        '| verdict | PASSED |',
        '| detection time | 420 ms |',
        '| RTO (traffic back on-prem) | 1.4 s |',
        '| RPO (SQL data loss) | none: 0 ms of commits, 0 bytes of log lost |',
        '| requests failed | 3 of ',
        "| of them outside the fault's window | 0 |",
        '| world diff after rollback | empty |',
      ])
        assert.ok(drillMarkdown.includes(row), row)
      assert.match(drillMarkdown, /^\| alarm-mid-bake \| shift \| .* UTC \| .* UTC \| 420 ms \|$/m)
      assert.match(
        drillMarkdown,
        /No difference: the world after the rollback equals the world before the drill\./,
      )
      assert.match(drillMarkdown, /^\| .* \| 17 \| 3 \| 10 \| 10 \|$/m, 'the interval with failures')
      assert.match(drillMarkdown, /^\| HTTP 503 from http:\/\/127\.0\.1\.11:18080\/health \| 3 \|$/m)
      assert.match(
        drillMarkdown,
        /^\| \/aws\/route53\/history \| change batches Route 53 applied: its history only grows \| 3 \|$/m,
      )
      assert.match(drillMarkdown, /^\| AG-GIFTCARD\/GiftCard \| 98000008486200001 \| 0 \|$/m)
      assert.ok(!allBytes(drillOut).includes(secret))
    })

    test('report.html draws the request curve with the failures inside the shaded detection window, and escapes every value', {
      skip: chromiumMissing(),
    }, async () => {
      await checkOffline(join(drillOut, 'report.html'), async (page) => {
        assert.equal(await page.locator('svg.curve rect.failed').count(), 1)
        assert.equal(await page.locator('svg.curve rect.shade').count(), 1)
        assert.equal(await page.locator('svg.gantt rect.shade').count(), 1)
        const box = async (selector: string) => {
          const b = await page.locator(selector).boundingBox()
          assert.ok(b, selector)
          return b
        }
        const failed = await box('svg.curve rect.failed')
        const window = await box('svg.curve rect.shade')
        assert.ok(
          failed.x + failed.width >= window.x && failed.x <= window.x + window.width,
          'failures fall in the window',
        )
        assert.equal(await page.locator('img').count(), 0, 'a value that looks like markup stays text')
        assert.match(
          (await page.locator('#drill').textContent()) ?? '',
          /<img src=x onerror="alert\(1\)"> \*\*\*/,
        )
        await screenshot(page, 'drill-report.png')
      })
    })
  })

  test('a run id that does not exist is exit 2, naming it; --out is required', async () => {
    const missing = await cli(['report', 'no-such-run', '--out', join(scratch.dir, 'none')])
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /no run no-such-run in \.switchyard/)
    const noOut = await cli(['report', runId])
    assert.equal(noOut.code, 2, noOut.stderr)
    assert.match(noOut.stderr, /Missing required flag out/)
  })
})

/** A one-phase runbook whose first step runs SCRIPT with the secret token in its environment. */
const tokenRunbook = (name: string, script: string, moreSteps = '') => `version: 1
name: ${name}
secrets:
  token: { from: "env:REPORT_TOKEN" }
phases:
  - id: one
    steps:
      - id: a
        uses: exec
        with: { command: sh, args: [-c, '${script}'], env: { TOKEN: "\${{ secrets.token }}" }, idempotent: true }
${moreSteps}`

describe('switchyard report of a run killed mid-step and resumed', () => {
  const token = 'report-token-4f9a1c'
  const crashy = tokenRunbook(
    'crashy',
    'echo "token is $TOKEN"',
    `      - id: b
        uses: exec
        needs: [a]
        with: { command: sh, args: [-c, 'echo b done'] }
`,
  )
  const inFolder = (name: string) => {
    const dir = join(scratch.dir, name)
    mkdirSync(dir)
    writeRunbook(dir, crashy)
    return (args: string[], env: Record<string, string> = {}) =>
      startSwitchyard(dir, args, { REPORT_TOKEN: token, ...env }).done
  }

  test("each attempt is its own bar: the one a kill cut off ends at the dead process's last event", async () => {
    const clean = inFolder('crashy-clean')
    assert.equal((await clean(['run', 'runbook.yaml'])).code, 0)
    const planned = journalEvents(join(scratch.dir, 'crashy-clean')).find(
      (e) => e.type === 'step-planned' && e.step === 'b',
    )
    const cli = inFolder('crashy')
    const killed = await cli(['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: String(planned?.seq) })
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr)
    assert.equal((await cli(['unlock', 'crashy', '--force'])).code, 0)
    const resumed = await cli(['resume', '--retry-step', 'b'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    const out = join(scratch.dir, 'crashy', 'report')
    const report = await cli(['report', '--out', out])
    assert.equal(report.code, 0, report.stderr)
    const markdown = readFileSync(join(out, 'report.md'), 'utf8')
    const [row] = rowsOf(markdown, 'one › b')
    assert.match(
      row ?? '',
      /^\| one › b \| \+\S+ s?m?s? \| .* \| \+.* attempt 1 \(.*\); \+.* applied \(.*\) \|$/,
      markdown,
    )
    const acted = markdown.split('## Who acted')[1]?.split('## ')[0] ?? ''
    assert.deepEqual(
      acted
        .split('\n')
        .filter((l) => /^\| \d{4}/.test(l))
        .map((l) => l.split(' | ')[1]),
      ['run', 'resume'],
    )
    assert.match(markdown, /^\| stdout \| token is \\\*\\\*\\\* \|$/m)
    assert.match(markdown, /lock broken by/)
    assert.ok(!allBytes(out).includes(token))
  })
})

describe('switchyard report of an abandoned run', () => {
  test('an abandon reason carrying a secret shows as ***, even a secret Markdown and HTML would escape', async () => {
    const token = 'tok_en&4f9a<1c'
    const dir = join(scratch.dir, 'abandoned')
    mkdirSync(dir)
    writeRunbook(dir, tokenRunbook('abandoned', 'exit 1'))
    const cli = (args: string[]) => startSwitchyard(dir, args, { REPORT_TOKEN: token }).done
    const failed = await cli(['run', 'runbook.yaml'])
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    const runId = failed.stdout.match(/run (\S+) started by/)?.[1] ?? ''
    const abandoned = await cli(['abandon', runId, '--reason', `reset by hand; token was ${token}`])
    assert.equal(abandoned.code, 0, abandoned.stdout + abandoned.stderr)
    const out = join(dir, 'report')
    const report = await cli(['report', runId, '--out', out])
    assert.equal(report.code, 0, report.stderr)
    const markdown = readFileSync(join(out, 'report.md'), 'utf8')
    assert.match(markdown, /abandon: reset by hand; token was \\\*\\\*\\\*/)
    for (const escaped of [token, 'tok\\_en&amp;4f9a&lt;1c', 'tok_en&amp;4f9a&lt;1c'])
      assert.ok(!allBytes(out).includes(escaped), `${escaped} is in neither report file`)
  })
})
