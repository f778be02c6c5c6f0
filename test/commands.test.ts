import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { bin, invokedAs, lines, root, scratchSpace, switchyard, writeRunbook } from './helpers/cli.ts'

const scratch = scratchSpace('commands')
after(scratch.cleanup)

const commands = Object.keys(
  JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')).commands as Record<string, unknown>,
).map((id) => id.replaceAll(':', ' '))

/** The CLI started exactly as `argv` says, from `cwd`: how the hints name it depends on that. */
const started = (cwd: string, argv: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, argv, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>

/** `--help` of each command, read once for the tests that look at it. */
const helpOf = new Map<string, string>()
const help = (command: string) => {
  if (!helpOf.has(command))
    helpOf.set(command, switchyard(root, [...(command ? command.split(' ') : []), '--help']).stdout)
  return helpOf.get(command) as string
}

describe('help and mistyped commands', () => {
  test('-h prints the same help as --help, for switchyard and for every command', () => {
    assert.ok(commands.length >= 13, commands.join(', '))
    for (const command of ['', ...commands]) {
      const words = command ? command.split(' ') : []
      const short = switchyard(root, [...words, '-h'])
      assert.equal(short.code, 0, `${command} -h: ${short.stderr}`)
      assert.equal(short.stdout, help(command), command)
      assert.match(short.stdout, /USAGE/, command)
    }
  })

  test('a mistyped command names the nearest one and exits 2', () => {
    const typo = switchyard(root, ['rnu', 'runbooks/quickstart.yaml'])
    assert.equal(typo.code, 2, typo.stderr)
    assert.match(typo.stderr, /^error: rnu is not a switchyard command$/m)
    assert.match(typo.stderr, /hint: did you mean run\?/)
    const topic = switchyard(root, ['sandbox', 'upp'])
    assert.equal(topic.code, 2)
    assert.match(topic.stderr, /did you mean sandbox up\?/)
    const nothingClose = switchyard(root, ['xyzzy'])
    assert.equal(nothingClose.code, 2)
    assert.match(nothingClose.stderr, /--help lists every command/)
  })
})

describe('--json', () => {
  test('every command takes --json', () => {
    for (const command of commands) assert.match(help(command), /--json/, command)
  })

  test('status --json and runs --json with no runs print JSON, not text', () => {
    const dir = scratch.workspace()
    const status = switchyard(dir, ['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual(JSON.parse(status.stdout), {})
    assert.deepEqual(JSON.parse(switchyard(dir, ['runs', '--json']).stdout), [])
  })

  test('an error under --json is one {"error"} line on stdout with the exit code, and words on stderr', () => {
    const dir = scratch.workspace()
    const missing = switchyard(dir, ['status', 'no-such-run', '--json'])
    assert.equal(missing.code, 2)
    const { error } = json(missing.stdout) as { error: { message: string; hint?: string; exitCode: number } }
    assert.equal(error.exitCode, 2)
    assert.match(
      missing.stderr,
      new RegExp(`^error: ${error.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    )

    const flag = switchyard(dir, ['runs', '--json', '--bogus'])
    assert.equal(flag.code, 2)
    assert.match((json(flag.stdout).error as { message: string }).message, /--bogus/)

    writeRunbook(
      dir,
      'version: 1\nname: bad\nphases:\n  - id: a\n    steps:\n      - { id: s, uses: noop, neds: [] }\n',
    )
    const invalid = switchyard(dir, ['run', 'runbook.yaml', '--json'])
    assert.equal(invalid.code, 2)
    const body = json(invalid.stdout).error as { diagnostics: Array<{ line: number; message: string }> }
    assert.equal(body.diagnostics[0]?.line, 6)
    assert.match(invalid.stderr, /runbook\.yaml:6:\d+ error: unknown key 'neds'/)

    const typo = switchyard(dir, ['stauts', '--json'])
    assert.equal(typo.code, 2)
    assert.match((json(typo.stdout).error as { hint: string }).hint, /did you mean status\?/)
  })

  test('graph, schema and unlock answer in JSON', () => {
    const dir = scratch.workspace()
    const graph = switchyard(root, ['graph', 'runbooks/quickstart.yaml', '--json'])
    assert.equal(graph.code, 0, graph.stderr)
    const drawn = json(graph.stdout) as {
      phases: Array<{ id: string; steps: unknown[] }>
      rollbackPoints: string[]
    }
    assert.deepEqual(
      drawn.phases.map((p) => p.id),
      drawn.rollbackPoints.slice(1),
    )
    assert.equal(drawn.rollbackPoints[0], 'start')

    const schema = switchyard(dir, ['schema', '--out', 'schema.json', '--json'])
    assert.equal(schema.code, 0, schema.stderr)
    assert.equal(json(schema.stdout).out, 'schema.json')
    assert.equal(json(readFileSync(join(dir, 'schema.json'), 'utf8')).title, 'switchyard runbook')

    const unlock = switchyard(dir, ['unlock', 'nothing-held', '--json'])
    assert.equal(unlock.code, 0, unlock.stderr)
    assert.deepEqual(json(unlock.stdout), { runbook: 'nothing-held', locked: false })
  })
})

describe('hints name the command as it was started', () => {
  const noRunsHint = (result: { stderr: string }) =>
    /hint: start one with (.+) run <runbook>/.exec(result.stderr)?.[1]

  test('./bin/run.js in the checkout, its full path from elsewhere', () => {
    assert.equal(
      noRunsHint(started(root, ['bin/run.js', 'resume', '--state-dir', scratch.workspace()])),
      './bin/run.js',
    )
    assert.equal(noRunsHint(started(scratch.workspace(), [bin, 'resume'])), invokedAs)
  })

  test('switchyard when it is found on PATH, npx switchyard through npm’s bin link', () => {
    const dir = scratch.workspace()
    const onPath = join(dir, 'bin')
    const npmLink = join(dir, 'node_modules', '.bin')
    for (const folder of [onPath, npmLink]) {
      mkdirSync(folder, { recursive: true })
      symlinkSync(bin, join(folder, 'switchyard'))
    }
    const viaPath = started(dir, [join(onPath, 'switchyard'), 'resume'], {
      PATH: `${onPath}:${process.env.PATH}`,
    })
    assert.equal(noRunsHint(viaPath), 'switchyard', viaPath.stderr)
    assert.equal(noRunsHint(started(dir, [join(npmLink, 'switchyard'), 'resume'])), 'npx switchyard')
  })
})

const TWO_PHASES = `version: 1
name: two-phases
phases:
  - id: prepare
    steps:
      - id: a
        uses: exec
        with: { command: sh, args: [-c, 'echo a >> applied.log'], rollback: { command: sh, args: [-c, 'echo a >> undone.log'] } }
  - id: shift
    steps:
      - id: b
        uses: exec
        with: { command: sh, args: [-c, 'echo b >> applied.log'], rollback: { command: sh, args: [-c, 'echo b >> undone.log'] } }
`

describe('runs and rollback', () => {
  test('runs prints a header and every column aligned under it', () => {
    const dir = scratch.workspace()
    writeRunbook(dir, TWO_PHASES)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml', '--until', 'prepare']).code, 0)
    assert.equal(switchyard(dir, ['rollback', '--to', 'start', '--yes']).code, 0)
    assert.equal(
      switchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_OPERATOR: 'a-much-longer-name' }).code,
      0,
    )
    const [header, ...rows] = switchyard(dir, ['runs']).stdout.trimEnd().split('\n')
    assert.match(header as string, /^RUN\s+STATUS\s+LIVE\s+ROLLBACK POINT\s+OPERATOR\s+UPDATED$/)
    assert.equal(rows.length, 2)
    const columns = [...(header as string).matchAll(/(?<=^|\s{2})\S/g)].map((m) => [m[0], m.index] as const)
    assert.equal(columns.length, 6)
    for (const row of rows)
      for (const [title, at] of columns) {
        if (title === 'L') continue // LIVE is empty for runs that hold nothing
        assert.match(` ${row}`.slice(at, at + 2), /^ \S/, `${title} at ${at}:\n${header}\n${row}`)
      }
    const operator = (header as string).indexOf('OPERATOR')
    assert.match(rows[1] as string, new RegExp(`^.{${operator}}a-much-longer-name  `))
  })

  test('rollback --dry-run shows the undo command of each step, not the forward one', () => {
    const dir = scratch.workspace()
    writeRunbook(dir, TWO_PHASES)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const dry = switchyard(dir, ['rollback', '--to', 'start', '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /undo\s+shift\.b\n\s+run sh -c 'echo b >> undone\.log'\n/)
    assert.match(dry.stdout, /undo\s+prepare\.a\n\s+run sh -c 'echo a >> undone\.log'\n/)
    assert.doesNotMatch(dry.stdout, /applied\.log/)
    const plan = json(switchyard(dir, ['rollback', '--to', 'start', '--dry-run', '--json']).stdout)
      .plan as Array<{
      step: string
      undo: string[]
    }>
    assert.deepEqual(
      plan.map((item) => [item.step, item.undo]),
      [
        ['b', ["run sh -c 'echo b >> undone.log'"]],
        ['a', ["run sh -c 'echo a >> undone.log'"]],
      ],
    )
    assert.deepEqual(lines(join(dir, 'undone.log')), [], 'a dry run undid nothing')
  })

  test('rollback without --to goes one phase back, as its help says', () => {
    assert.match(help('rollback').replace(/\s+/g, ' '), /default: one phase back/)
    const dir = scratch.workspace()
    writeRunbook(dir, TWO_PHASES)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const back = switchyard(dir, ['rollback', '--yes'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.match(back.stderr, /rollback point: prepare \(no --to: one phase back\)/)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['b'])
    const again = switchyard(dir, ['rollback', '--yes'])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['b', 'a'])
  })
})

describe('AWS not set up for a runbook made for the sandbox', () => {
  test('the hint says to point the terminal at the sandbox, not only that a region is missing', () => {
    const dir = scratch.workspace()
    copyFileSync(join(root, 'runbooks', 'sandbox-shift.yaml'), join(dir, 'sandbox-shift.yaml'))
    const noAws = { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', AWS_ENDPOINT_URL: '' }
    for (const command of [
      ['run', 'sandbox-shift.yaml', '--yes'],
      ['plan', 'sandbox-shift.yaml'],
    ]) {
      const result = switchyard(dir, command, noAws)
      assert.equal(result.code, 2, result.stdout + result.stderr)
      assert.match(result.stderr, /error: no AWS region for sts/)
      assert.match(result.stderr, /hint: runbook sandbox-shift is set up for the sandbox: .*sandbox env/)
      assert.match(result.stderr, /--sandbox/)
    }
  })
})
